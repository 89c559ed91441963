"""The depth and activation study: data, models, training, gradient statistics, tables and figures.

Modules that need TensorFlow (activations, models, gradients, training) are imported only by the
training scripts; tables and figures run with pandas, matplotlib and seaborn alone.
"""
