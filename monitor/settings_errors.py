"""Pydantic's validation messages in Indonesian, as configuration errors are shown to operators: one
template per error type, filled from the error's context; a type not listed keeps pydantic's own
words (they still name the key and the file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

UNKNOWN_KEY = "kunci tidak dikenal"
# Pydantic's messages by error type, in Indonesian ({...} from the error's context); a type not
# listed keeps pydantic's own words.
_MESSAGES = {
    "missing": "wajib diisi",
    "extra_forbidden": UNKNOWN_KEY,
    "int_type": "harus bilangan bulat",
    "int_parsing": "harus bilangan bulat",
    "int_from_float": "harus bilangan bulat",
    "float_type": "harus angka",
    "float_parsing": "harus angka",
    "bool_type": "harus true atau false",
    "bool_parsing": "harus true atau false",
    "string_type": "harus teks (dalam tanda kutip)",
    "literal_error": "harus salah satu dari {expected}",
    "greater_than": "harus lebih dari {gt}",
    "greater_than_equal": "paling kecil {ge}",
    "less_than": "harus kurang dari {lt}",
    "less_than_equal": "paling besar {le}",
    "date_type": "harus tanggal (YYYY-MM-DD)",
    "date_parsing": "harus tanggal (YYYY-MM-DD)",
    "date_from_datetime_parsing": "harus tanggal (YYYY-MM-DD)",
    "date_from_datetime_inexact": "harus tanggal tanpa jam (YYYY-MM-DD)",
    "tuple_type": "harus daftar, mis. [\"a\", \"b\"]",
    "list_type": "harus daftar, mis. [\"a\", \"b\"]",
    "dict_type": "harus tabel",
    "model_type": "harus tabel",
    "model_attributes_type": "harus tabel",
    "path_type": "harus jalur berkas",
    "value_error": "{error}",
}


def describe_error(err: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in Indonesian."""
    template = _MESSAGES.get(err["type"])
    if template is None:
        return str(err["msg"])
    context = {key: str(value).replace(" or ", " atau ") for key, value in (err.get("ctx") or {}).items()}
    try:
        return template.format(**context)
    except KeyError:
        return str(err["msg"])
