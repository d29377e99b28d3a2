"""The codegen step: spec/openapi.yaml -> generated/partner_api_client.

Run it as ``python -m generator <command>``; ``python -m generator --help`` lists the commands.
Nothing here is imported by the published package.
"""
