"""Build the optional C accelerator (batch HMAC-SHA256); everything else is in pyproject.toml.

The extension is ``optional``: without a C compiler the install still succeeds and
``asn_research.privacy`` hashes with the standard library (same pseudonyms, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "asn_research._native",
            sources=["asn_research/_native.c"],
            optional=True,
        )
    ]
)
