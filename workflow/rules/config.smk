# Values from the command line, read as the schema types them. Snakemake's --config reads `False` as a
# boolean but `false` as a string, and everything inside {...} or [...] as strings: `cnn={seeds: [0]}`
# gives ["0"]. Each string is read here as the type that the schema asks for at its place, so that
# `--config verify_checksums=false`, `data_dir=null` and `cnn="{seeds: [0]}"` mean what they say.
# A string that is not of such a type is left alone, for the schema to refuse with its key.

import re
from pathlib import Path

import yaml

TRUE_FALSE = {"true": True, "false": False}
NULLS = {"null", "none", "~"}
INTEGER = re.compile(r"[+-]?\d+")


def _resolved(schema, root):
    """The schema at one place, its $ref followed (and merged with the keys beside the $ref)."""
    while "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        local = {k: v for k, v in schema.items() if k != "$ref"}
        merged = {**target, **local}
        if "properties" in target and "properties" in local:
            merged["properties"] = {**target["properties"], **local["properties"]}
        schema = merged
    return schema


def _typed_string(value, types):
    if "boolean" in types and value.lower() in TRUE_FALSE:
        return TRUE_FALSE[value.lower()]
    if "integer" in types and INTEGER.fullmatch(value):
        return int(value)
    if "number" in types:
        try:
            return float(value)
        except ValueError:
            pass
    return value


def typed(value, schema, root):
    """``value`` with every string read as the type its place in the schema asks for."""
    schema = _resolved(schema, root)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {
            key: typed(
                item,
                properties.get(key, extra if isinstance(extra, dict) else {}),
                root,
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [typed(item, schema.get("items", {}), root) for item in value]
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if isinstance(value, str) and "null" in types and value.lower() in NULLS:
        return None  # data_dir=null: back to Keras' download
    if isinstance(value, str) and "string" not in types and types:
        return _typed_string(value, types)
    return value


CONFIG_SCHEMA = yaml.safe_load(
    (
        Path(workflow.current_basedir) / ".." / "schemas" / "config.schema.yaml"
    ).read_text()
)
config.update(typed(config, CONFIG_SCHEMA, CONFIG_SCHEMA))
