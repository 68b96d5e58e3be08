#!/usr/bin/python3
"""Validates JSON Lines against the employment exchange's JSON Schemas
(draft 2020-12), all loaded from this directory, no network.

    validate.py SCHEMA FILE            every line must be valid
    validate.py --invalid SCHEMA FILE  every line must be invalid

SCHEMA is a file name here (exchange-record.schema.json ...). Exits 0 when
every line is as expected, 1 otherwise (each offending line printed), 2 when
the validator itself is missing or a schema is broken."""
import json
import os
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    sys.stderr.write("validate.py: python3-jsonschema (Debian) is needed for draft 2020-12\n")
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))


def load_schemas():
    schemas = {}
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".schema.json"):
            with open(os.path.join(HERE, name), encoding="utf-8") as f:
                schema = json.load(f)
            Draft202012Validator.check_schema(schema)
            schemas[name] = schema
    return schemas


def validator_for(schemas, name):
    schema = schemas[name]
    try:
        from referencing import Registry, Resource
        registry = Registry().with_resources(
            (s["$id"], Resource.from_contents(s)) for s in schemas.values())
        return Draft202012Validator(schema, registry=registry)
    except ImportError:
        store = {s["$id"]: s for s in schemas.values()}
        resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
        return Draft202012Validator(schema, resolver=resolver)


def main(argv):
    expect_valid = True
    if argv and argv[0] == "--invalid":
        expect_valid = False
        argv = argv[1:]
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        schemas = load_schemas()
        validator = validator_for(schemas, argv[0])
    except Exception as error:  # a broken schema is the test's failure
        sys.stderr.write("validate.py: %s\n" % error)
        return 2
    bad = 0
    lines = 0
    with open(argv[1], encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            lines += 1
            try:
                record = json.loads(line)
                errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
            except ValueError as error:
                errors = [error]
            if expect_valid and errors:
                bad += 1
                print("line %d: %s" % (number, getattr(errors[0], "message", errors[0])))
            elif not expect_valid and not errors:
                bad += 1
                print("line %d: valid, but should not be" % number)
    if lines == 0:
        print("no lines in %s" % argv[1])
        return 1
    print("%s: %d lines, %d not as expected" % (os.path.basename(argv[1]), lines, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
