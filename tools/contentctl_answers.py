#!/usr/bin/env python3
"""Records what Splunk's contentctl decides about every detection of a content tree,
one JSON line per detection, for firedrill's conformance suite to compare against.

What is recorded (all from contentctl itself, nothing re-implemented):
  * selection: whether `contentctl test` unit-tests the detection, else the skip message
    contentctl puts on its tests (non-production, Correlation, manual_test);
  * the risk action exactly as `contentctl build` writes it into savedsearches.conf
    (`action.risk`, `action.risk.param._risk` risk and threat objects with types and
    scores, `action.risk.param._risk_message`);
  * the fields the unit test's pass rule checks (DetectionTestingInfrastructure.py:
    observables with the Victim role are risk-object fields, Attacker threat-object fields).

Usage (contentctl 4.4.1 is what security_content's CI installed in October 2024; it
builds offline with enrichments off):

    python3 -m venv /work/venv-contentctl
    /work/venv-contentctl/bin/pip install contentctl==4.4.1 pydantic==2.9.2
    /work/venv-contentctl/bin/python tools/contentctl_answers.py \
        ../shared/content/security_content_2024-10 \
        > tests/data/contentctl-4.4.1_security_content_2024-10.jsonl

The content tree is copied to a temporary directory (contentctl needs a contentctl.yml
and an app_template beside it); nothing is written into the tree itself.
"""

import contextlib
import io
import json
import os
import pathlib
import shutil
import sys
import tempfile

import contentctl
from contentctl.contentctl import build_func
from contentctl.objects.config import build
from contentctl.objects.unit_test import UnitTest

CONFIG = {
    "path": ".",
    "app": {
        "uid": 3449,
        "title": "ES Content Updates",
        "appid": "DA-ESS-ContentUpdate",
        "version": "4.43.0",
        "description": "ES Content Updates",
        "prefix": "ESCU",
        "label": "ESCU",
        "author_name": "Splunk Threat Research Team",
        "author_email": "research@splunk.com",
        "author_company": "Splunk",
    },
    "enrichments": False,
    "build_app": True,
    "build_api": False,
    "build_path": "dist",
}


def conf_stanzas(text):
    """savedsearches.conf as {stanza: {key: value}}; a value may continue over lines
    that end with a backslash (contentctl's escapeNewlines)."""
    stanzas, current, key, buf = {}, None, None, None
    for line in text.splitlines():
        if buf is not None:
            buf.append(line)
            if line.endswith("\\"):
                continue
            current[key] = "\n".join(buf)
            buf = None
            continue
        if line.startswith("[") and line.endswith("]"):
            current = stanzas.setdefault(line[1:-1], {})
            continue
        if current is None or " = " not in line:
            continue
        key, value = line.split(" = ", 1)
        if value.endswith("\\"):
            buf = [value]
            continue
        current[key] = value
    return stanzas


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = pathlib.Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp) / "content"
        shutil.copytree(src, work)
        templates = pathlib.Path(contentctl.__file__).parent / "templates" / "app_template"
        shutil.copytree(templates, work / "app_template")
        old = os.getcwd()
        os.chdir(work)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                director = build_func(build.model_validate(CONFIG))
            conf_path = work / "dist" / CONFIG["app"]["appid"] / "default" / "savedsearches.conf"
            stanzas = conf_stanzas(conf_path.read_text())
        finally:
            os.chdir(old)
        out = []
        for d in director.detections:
            file = pathlib.Path(d.file_path)
            if file.is_absolute():
                file = file.relative_to(work)
            file = file.as_posix()
            unit = [t for t in d.tests if isinstance(t, UnitTest)]
            run = [t for t in unit if t.result is None]
            skipped = [t.result.message for t in d.tests if t.result is not None]
            stanza = stanzas.get(f"ESCU - {d.name} - Rule", {})
            risk, threat = [], []
            if stanza.get("action.risk") == "1":
                for o in json.loads(stanza["action.risk.param._risk"]):
                    if "risk_object_field" in o:
                        risk.append([o["risk_object_field"], o["risk_object_type"], o["risk_score"]])
                    else:
                        threat.append([o["threat_object_field"], o["threat_object_type"]])
            row = {
                "file": file,
                "name": d.name,
                "type": d.type,
                "status": d.status,
                "selected": bool(run),
                # contentctl's skip message; a detection without tests has none (its
                # test_status is SKIP because it has no tests).
                "skip": None if run else (skipped[0] if skipped else f"no tests ({d.status})"),
                "risk_action": stanza.get("action.risk") == "1",
                "message": stanza.get("action.risk.param._risk_message"),
                "risk": risk,
                "threat": threat,
                "victim": [o.name for o in d.tags.observable if "Victim" in o.role],
                "attacker": [o.name for o in d.tags.observable if "Attacker" in o.role],
            }
            # Compact: leave out what is empty.
            out.append({k: v for k, v in row.items() if v not in (None, [], False) or k in ("selected", "risk_action")})
        out.sort(key=lambda r: r["file"])
        for r in out:
            print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
        sel = sum(r["selected"] for r in out)
        print(f"{len(out)} detections, {sel} unit-tested", file=sys.stderr)


if __name__ == "__main__":
    main()
