"""Contracts as files (DESIGN §4.9): each service's OpenAPI and the suite's AsyncAPI, generated into docs/.

``seedbed docs`` (``make docs``) writes them; a test regenerates them in memory and fails when the committed files
differ, so a change to an API or an event cannot land without its contract.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from shared.catalogue import NAMES as SERVICES
from shared.settings import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"


def openapi_document(service: str) -> dict[str, Any]:
    settings = importlib.import_module(f"services.{service}.settings").Settings()
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    return app.openapi()


def asyncapi_document() -> dict[str, Any]:
    import shared.events.all  # noqa: F401 - fills EVENT_TYPES
    from shared.events.catalog import ALL_TOPICS, EVENT_TOPICS
    from shared.events.envelope import EVENT_TYPES

    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    for spec in ALL_TOPICS:
        types = sorted(t for t, model in EVENT_TYPES.items() if model.topic == spec.name)
        channel: dict[str, Any] = {
            "description": spec.description,
            "bindings": {"kafka": {"partitions": spec.partitions, "topicConfiguration": {"retention.ms": spec.retention_ms}}},
        }
        if types:
            channel["subscribe"] = {
                "operationId": f"on_{spec.name.replace('.', '_')}",
                "message": {"oneOf": [{"$ref": f"#/components/messages/{t}"} for t in types]},
            }
        channels[spec.name] = channel
    for event_type, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        messages[event_type] = {
            "name": event_type,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
            "contentType": "application/json",
            "bindings": {"kafka": {"key": {"type": "string", "description": "the aggregate id"}}},
            "headers": {"$ref": "#/components/schemas/CloudEventsKafkaHeaders"},
            "payload": schema,
        }
    ce_headers = {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject"],
        "properties": {
            name: {"type": "string"}
            for name in ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject",
                         "ce_correlationid", "ce_causationid", "content-type")
        },
    }
    return {
        "asyncapi": "2.6.0",
        "info": {
            "title": "Seedbed integration events",
            "version": "1",
            "description": "CloudEvents 1.0 in Kafka binary mode. Event topics: "
            + ", ".join(s.name for s in EVENT_TOPICS)
            + "; each has a '.dlq' dead-letter twin.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages, "schemas": {"CloudEventsKafkaHeaders": ce_headers}},
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def expected_files() -> dict[Path, str]:
    files = {DOCS / "openapi" / f"{s}.json": render(openapi_document(s)) for s in SERVICES}
    files[DOCS / "asyncapi.json"] = render(asyncapi_document())
    return files


def write_all() -> list[Path]:
    written = []
    for path, text in expected_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
