#!/usr/bin/env python3
"""Writes the LSASS-dump-via-comsvcs.dll fixtures in tests/fixtures/comsvcs/: the same
events as Splunk indexes them (XmlWinEventLog text, one <Event> a line) and as Windows
stores them (binary EVTX), for Sysmon (EventID 1, 10, 11) and the Security log (4688).

The events are written for firedrill: no capture of this attack is in ../shared/samples.
They follow what the attack leaves on a Windows host with Sysmon and process-creation
auditing (command line included) — Atomic Red Team's T1003.001 test "Dump LSASS.exe
Memory using comsvcs.dll" from PowerShell (`comsvcs.dll, MiniDump <pid> <file> full`),
and the same export called from cmd.exe without the comma, as intrusion reports show it
— with the fields, types and layout of real events: Sysmon's and the Security
auditing provider's EventData names and order, their value types in the EVTX (GUID,
UInt32, HexInt64, SID, FILETIME), and benign events around them.

The EVTX writer follows the format Windows writes (libevtx's documentation of it): a
4096-byte file header, 64 KiB chunks with their string and template tables, records
("**\\0\\0", size, record id, FILETIME) holding binary XML as a template instance — a
template definition (elements, attributes, substitution tokens) given inline the first
time and referenced by offset after, then the typed substitution values — and the CRC32
checksums of the file header, chunk header and records. The result is read back by two
independent parsers in the tests (the `evtx` crate, which firedrill uses, and
python-evtx), and its records must render to the same fields as the text form.

Usage: python3 tools/make_comsvcs_fixtures.py  (from the repository root)
"""

import pathlib
import struct
import uuid
import zlib
from datetime import datetime, timezone

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "comsvcs"
HOST = "WIN-FIN-07.corp.example"
SYSMON_GUID = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"
SECURITY_GUID = "{54849625-5478-4994-a5ba-3e3b0328c30d}"

# Value types of the binary XML substitutions.
T_NULL, T_STR, T_U8, T_U16, T_U32, T_U64, T_GUID, T_FILETIME, T_SID, T_HEX32, T_HEX64 = (
    0x00, 0x01, 0x04, 0x06, 0x08, 0x0A, 0x0F, 0x11, 0x13, 0x14, 0x15)


def S(v):
    return (T_STR, v)


def U32(v):
    return (T_U32, v)


def HEX64(v):
    return (T_HEX64, v)


def HEX32(v):
    return (T_HEX32, v)


def GUID(v):
    return (T_GUID, v)


def SID(v):
    return (T_SID, v)


# ---- the events -------------------------------------------------------------------

def ts(s):
    """'2024-10-08 14:05:31.442137' (UTC) as a datetime."""
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)


LSASS_PID = 704
PS_GUID, PS_PID = "{8a1f0c32-3b1e-6705-5e02-000000001400}", 5216
CMD_GUID, CMD_PID = "{8a1f0c32-3c04-6705-7302-000000001400}", 6844
RUNDLL_A_GUID, RUNDLL_A_PID = "{8a1f0c32-3b2b-6705-6102-000000001400}", 3188
RUNDLL_B_GUID, RUNDLL_B_PID = "{8a1f0c32-3c0f-6705-7702-000000001400}", 7420
LSASS_GUID = "{8a1f0c32-21d6-6705-0c00-000000001400}"
LOGON_GUID, LOGON_ID = "{8a1f0c32-23a9-6705-4f9d-0a0000000000}", 0xA9D4F
USER = "CORP\\adm.jreyes"
RUNDLL_HASHES = ("MD5=EF3179D498793BF4234F708D3BE28633,SHA256=B53F3C0CD32D7F20849850768DA6431E5F876B7BFA61DB0AA0700B02873393FA,"
                 "IMPHASH=F27A7FC3A53E74F45BE370131953896A")
PS_HASHES = ("MD5=2E5A8590CF6848968FC23DE3FA1E25F1,SHA256=9785001B0DCF755EDDB8AF294A373C0B87B2498660F724E76C4D53F9C217C7A3,"
             "IMPHASH=3D08F4848535206D772DE145804FF4B6")
CMD_HASHES = ("MD5=E7A6B1F51EFB405287A8048CFA4690F4,SHA256=5C4B3A1B2E2B1F2A7B0F6E9D3C2A1B0F9E8D7C6B5A4F3E2D1C0B9A8F7E6D5C4B,"
              "IMPHASH=272245E2988E1E430500B852C4FB5E18")
CMD_A = "\"C:\\Windows\\system32\\rundll32.exe\" C:\\windows\\System32\\comsvcs.dll, MiniDump 704 C:\\Users\\ADM~1.JRE\\AppData\\Local\\Temp\\lsass-comsvcs.dmp full"
CMD_B = "rundll32.exe C:\\Windows\\System32\\comsvcs.dll MiniDump 704 C:\\ProgramData\\debug.bin full"


def sysmon_1(rec, t, guid, pid, image, ver, desc, orig, cmd, cwd, integrity, hashes, pguid, ppid, pimage, pcmd,
             user=USER, logon_guid=LOGON_GUID, logon_id=LOGON_ID):
    return {
        "channel": "Microsoft-Windows-Sysmon/Operational", "provider": ("Microsoft-Windows-Sysmon", SYSMON_GUID),
        "event_id": 1, "version": 5, "level": 4, "task": 1, "opcode": 0, "keywords": 0x8000000000000000,
        "time": t, "record": rec, "pid": 2964, "tid": 4012, "user_sid": "S-1-5-18",
        "data": [
            ("RuleName", S("-")), ("UtcTime", S(t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])),
            ("ProcessGuid", GUID(guid)), ("ProcessId", U32(pid)), ("Image", S(image)),
            ("FileVersion", S(ver)), ("Description", S(desc)),
            ("Product", S("Microsoft® Windows® Operating System")), ("Company", S("Microsoft Corporation")),
            ("OriginalFileName", S(orig)), ("CommandLine", S(cmd)), ("CurrentDirectory", S(cwd)),
            ("User", S(user)), ("LogonGuid", GUID(logon_guid)), ("LogonId", HEX64(logon_id)),
            ("TerminalSessionId", U32(1)), ("IntegrityLevel", S(integrity)), ("Hashes", S(hashes)),
            ("ParentProcessGuid", GUID(pguid)), ("ParentProcessId", U32(ppid)), ("ParentImage", S(pimage)),
            ("ParentCommandLine", S(pcmd)), ("ParentUser", S(user)),
        ],
    }


def sysmon_10(rec, t, sguid, spid, stid, simage):
    return {
        "channel": "Microsoft-Windows-Sysmon/Operational", "provider": ("Microsoft-Windows-Sysmon", SYSMON_GUID),
        "event_id": 10, "version": 3, "level": 4, "task": 10, "opcode": 0, "keywords": 0x8000000000000000,
        "time": t, "record": rec, "pid": 2964, "tid": 4012, "user_sid": "S-1-5-18",
        "data": [
            ("RuleName", S("technique_id=T1003,technique_name=Credential Dumping")),
            ("UtcTime", S(t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])),
            ("SourceProcessGUID", GUID(sguid)), ("SourceProcessId", U32(spid)), ("SourceThreadId", U32(stid)),
            ("SourceImage", S(simage)), ("TargetProcessGUID", GUID(LSASS_GUID)), ("TargetProcessId", U32(LSASS_PID)),
            ("TargetImage", S("C:\\Windows\\system32\\lsass.exe")), ("GrantedAccess", HEX32(0x1FFFFF)),
            ("CallTrace", S("C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|"
                            "c:\\windows\\system32\\dbgcore.DLL+a9b1|C:\\Windows\\System32\\comsvcs.dll+5cd4c|"
                            "C:\\Windows\\system32\\rundll32.exe+3bc4|C:\\Windows\\System32\\KERNEL32.DLL+17374")),
            ("SourceUser", S(USER)), ("TargetUser", S("NT AUTHORITY\\SYSTEM")),
        ],
    }


def sysmon_11(rec, t, guid, pid, image, target):
    return {
        "channel": "Microsoft-Windows-Sysmon/Operational", "provider": ("Microsoft-Windows-Sysmon", SYSMON_GUID),
        "event_id": 11, "version": 2, "level": 4, "task": 11, "opcode": 0, "keywords": 0x8000000000000000,
        "time": t, "record": rec, "pid": 2964, "tid": 4012, "user_sid": "S-1-5-18",
        "data": [
            ("RuleName", S("-")), ("UtcTime", S(t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])),
            ("ProcessGuid", GUID(guid)), ("ProcessId", U32(pid)), ("Image", S(image)),
            ("TargetFilename", S(target)), ("CreationUtcTime", S(t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])),
            ("User", S(USER)),
        ],
    }


def security_4688(rec, t, new_pid, name, cmd, ppid, pname, label="S-1-16-12288", user="adm.jreyes",
                  sid="S-1-5-21-3457937927-2839227994-823803824-1104", logon=LOGON_ID):
    return {
        "channel": "Security", "provider": ("Microsoft-Windows-Security-Auditing", SECURITY_GUID),
        "event_id": 4688, "version": 2, "level": 0, "task": 13312, "opcode": 0, "keywords": 0x8020000000000000,
        "time": t, "record": rec, "pid": 4, "tid": 7460, "user_sid": None,
        "data": [
            ("SubjectUserSid", SID(sid)), ("SubjectUserName", S(user)), ("SubjectDomainName", S("CORP")),
            ("SubjectLogonId", HEX64(logon)), ("NewProcessId", HEX64(new_pid)), ("NewProcessName", S(name)),
            ("TokenElevationType", S("%%1937")), ("ProcessId", HEX64(ppid)), ("CommandLine", S(cmd)),
            ("TargetUserSid", SID("S-1-0-0")), ("TargetUserName", S("-")), ("TargetDomainName", S("-")),
            ("TargetLogonId", HEX64(0)), ("ParentProcessName", S(pname)), ("MandatoryLabel", SID(label)),
        ],
    }


PS_IMAGE = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
CMD_IMAGE = "C:\\Windows\\System32\\cmd.exe"
RUNDLL = "C:\\Windows\\System32\\rundll32.exe"
RUNDLL_VER = "10.0.17763.1697 (WinBuild.160101.0800)"


def sysmon_events():
    return [
        sysmon_1(41871, ts("2024-10-08 14:05:18.221405"), PS_GUID, PS_PID, PS_IMAGE,
                 "10.0.17763.1 (WinBuild.160101.0800)", "Windows PowerShell", "PowerShell.EXE",
                 "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" ", "C:\\Users\\adm.jreyes\\",
                 "High", PS_HASHES, "{8a1f0c32-23aa-6705-a901-000000001400}", 4420, "C:\\Windows\\explorer.exe",
                 "C:\\Windows\\Explorer.EXE"),
        sysmon_1(41874, ts("2024-10-08 14:05:31.442137"), RUNDLL_A_GUID, RUNDLL_A_PID, RUNDLL, RUNDLL_VER,
                 "Windows host process (Rundll32)", "RUNDLL32.EXE", CMD_A, "C:\\Users\\adm.jreyes\\", "High",
                 RUNDLL_HASHES, PS_GUID, PS_PID, PS_IMAGE,
                 "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" "),
        sysmon_10(41875, ts("2024-10-08 14:05:31.502911"), RUNDLL_A_GUID, RUNDLL_A_PID, 6212, RUNDLL),
        sysmon_11(41876, ts("2024-10-08 14:05:31.537706"), RUNDLL_A_GUID, RUNDLL_A_PID, RUNDLL,
                  "C:\\Users\\adm.jreyes\\AppData\\Local\\Temp\\lsass-comsvcs.dmp"),
        sysmon_1(41880, ts("2024-10-08 14:08:52.019930"), CMD_GUID, CMD_PID, CMD_IMAGE,
                 "10.0.17763.1 (WinBuild.160101.0800)", "Windows Command Processor", "Cmd.Exe",
                 "\"C:\\Windows\\system32\\cmd.exe\" ", "C:\\Users\\adm.jreyes\\", "High", CMD_HASHES,
                 "{8a1f0c32-23aa-6705-a901-000000001400}", 4420, "C:\\Windows\\explorer.exe",
                 "C:\\Windows\\Explorer.EXE"),
        sysmon_1(41883, ts("2024-10-08 14:09:07.688214"), RUNDLL_B_GUID, RUNDLL_B_PID, RUNDLL, RUNDLL_VER,
                 "Windows host process (Rundll32)", "RUNDLL32.EXE", CMD_B, "C:\\Users\\adm.jreyes\\", "High",
                 RUNDLL_HASHES, CMD_GUID, CMD_PID, CMD_IMAGE, "\"C:\\Windows\\system32\\cmd.exe\" "),
        sysmon_10(41884, ts("2024-10-08 14:09:07.741063"), RUNDLL_B_GUID, RUNDLL_B_PID, 5032, RUNDLL),
        sysmon_11(41885, ts("2024-10-08 14:09:07.779448"), RUNDLL_B_GUID, RUNDLL_B_PID, RUNDLL,
                  "C:\\ProgramData\\debug.bin"),
        sysmon_1(41890, ts("2024-10-08 14:10:02.310573"), "{8a1f0c32-3c7a-6705-7b02-000000001400}", 1264,
                 "C:\\Windows\\System32\\conhost.exe", "10.0.17763.1 (WinBuild.160101.0800)", "Console Window Host",
                 "CONHOST.EXE", "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1", "C:\\Windows",
                 "System", "MD5=0B2A1F3C4D5E6F708192A3B4C5D6E7F8,SHA256=1F9A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8,"
                 "IMPHASH=C9B3E0F2A1D4C5B6A7980F1E2D3C4B5A", "{8a1f0c32-3c7a-6705-7a02-000000001400}", 880,
                 "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
                 user="NT AUTHORITY\\SYSTEM", logon_guid="{8a1f0c32-21d6-6705-e703-000000000000}", logon_id=0x3E7),
    ]


def security_events():
    return [
        security_4688(118402, ts("2024-10-08 14:05:18.219000"), PS_PID, PS_IMAGE,
                      "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" ", 4420,
                      "C:\\Windows\\explorer.exe"),
        security_4688(118409, ts("2024-10-08 14:05:31.440000"), RUNDLL_A_PID, RUNDLL, CMD_A, PS_PID, PS_IMAGE),
        security_4688(118415, ts("2024-10-08 14:08:52.018000"), CMD_PID, CMD_IMAGE,
                      "\"C:\\Windows\\system32\\cmd.exe\" ", 4420, "C:\\Windows\\explorer.exe"),
        security_4688(118418, ts("2024-10-08 14:09:07.686000"), RUNDLL_B_PID, RUNDLL, CMD_B, CMD_PID, CMD_IMAGE),
        security_4688(118426, ts("2024-10-08 14:10:02.309000"), 1264, "C:\\Windows\\System32\\conhost.exe",
                      "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1", 880,
                      "C:\\Windows\\System32\\svchost.exe", label="S-1-16-16384", user="WIN-FIN-07$",
                      sid="S-1-5-18", logon=0x3E7),
    ]


# ---- rendering as text (Splunk's XmlWinEventLog) ----------------------------------

def value_text(v):
    t, x = v
    if t == T_STR:
        return x
    if t in (T_U8, T_U16, T_U32, T_U64):
        return str(x)
    if t == T_HEX64 or t == T_HEX32:
        return hex(x)
    if t in (T_GUID, T_SID):
        return x
    raise ValueError(t)


def esc_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_attr(s):
    return esc_text(s).replace("'", "&apos;")


def systemtime(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def to_xml(e):
    sec = f"<Security UserID='{e['user_sid']}'/>" if e["user_sid"] else "<Security/>"
    data = "".join(f"<Data Name='{n}'>{esc_text(value_text(v))}</Data>" for n, v in e["data"])
    return (
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        f"<Provider Name='{e['provider'][0]}' Guid='{e['provider'][1]}'/>"
        f"<EventID>{e['event_id']}</EventID><Version>{e['version']}</Version><Level>{e['level']}</Level>"
        f"<Task>{e['task']}</Task><Opcode>{e['opcode']}</Opcode><Keywords>{hex(e['keywords'])}</Keywords>"
        f"<TimeCreated SystemTime='{systemtime(e['time'])}'/><EventRecordID>{e['record']}</EventRecordID>"
        f"<Correlation/><Execution ProcessID='{e['pid']}' ThreadID='{e['tid']}'/>"
        f"<Channel>{e['channel']}</Channel><Computer>{HOST}</Computer>{sec}</System>"
        f"<EventData>{data}</EventData></Event>"
    )


# ---- binary XML and EVTX ----------------------------------------------------------

def filetime_exact(d):
    delta = d - datetime(1601, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 10**7 + delta.microseconds * 10


def guid_bytes(g):
    return uuid.UUID(g).bytes_le


def sid_bytes(s):
    parts = s.split("-")
    rev, auth, subs = int(parts[1]), int(parts[2]), [int(p) for p in parts[3:]]
    return struct.pack("<BB", rev, len(subs)) + auth.to_bytes(6, "big") + b"".join(struct.pack("<I", x) for x in subs)


def value_bytes(v):
    t, x = v
    if t == T_STR:
        return x.encode("utf-16-le")
    if t == T_U8:
        return struct.pack("<B", x)
    if t == T_U16:
        return struct.pack("<H", x)
    if t == T_U32 or t == T_HEX32:
        return struct.pack("<I", x)
    if t == T_U64 or t == T_HEX64:
        return struct.pack("<Q", x)
    if t == T_GUID:
        return guid_bytes(x)
    if t == T_FILETIME:
        return struct.pack("<Q", filetime_exact(x))
    if t == T_SID:
        return sid_bytes(x)
    raise ValueError(t)


def name_hash(s):
    """The 16-bit hash stored with each name (hash = hash * 65599 + char)."""
    h = 0
    for ch in s:
        h = (h * 65599 + ord(ch)) & 0xFFFFFFFF
    return h & 0xFFFF


class Template:
    """Builds a template definition's binary XML at a known chunk offset, names inline."""

    def __init__(self, base):
        self.base = base  # chunk offset where self.buf starts
        self.buf = bytearray()

    def pos(self):
        return self.base + len(self.buf)

    def element(self, tag, attrs=(), children=None, sub=None):
        """attrs: [(name, ('lit', text) | ('sub', index, type))]; children: callables;
        sub: (index, type) for element content; none of these: an empty element."""
        start = len(self.buf)
        token = 0x41 if attrs else 0x01
        self.buf += struct.pack("<BH", token, 0xFFFF)
        size_at = len(self.buf)
        self.buf += b"\0\0\0\0"  # data size, patched below
        # name offset + inline name
        off = self.pos() + 4
        self.buf += struct.pack("<I", off)
        self.buf += struct.pack("<IHH", 0, name_hash(tag), len(tag)) + tag.encode("utf-16-le") + b"\0\0"
        if attrs:
            list_at = len(self.buf)
            self.buf += b"\0\0\0\0"
            for i, (an, av) in enumerate(attrs):
                self.buf += struct.pack("<B", 0x46 if i + 1 < len(attrs) else 0x06)
                off = self.pos() + 4
                self.buf += struct.pack("<I", off)
                self.buf += struct.pack("<IHH", 0, name_hash(an), len(an)) + an.encode("utf-16-le") + b"\0\0"
                self.value(av)
            struct.pack_into("<I", self.buf, list_at, len(self.buf) - list_at - 4)
        if children is None and sub is None:
            self.buf += b"\x03"  # close empty element
        else:
            self.buf += b"\x02"  # close start element
            if sub is not None:
                self.value(("sub",) + sub)
            for c in children or []:
                c()
            self.buf += b"\x04"  # end element
        struct.pack_into("<I", self.buf, size_at, len(self.buf) - size_at - 4)
        return start

    def value(self, v):
        if v[0] == "lit":
            s = v[1]
            self.buf += struct.pack("<BBH", 0x05, 0x01, len(s)) + s.encode("utf-16-le")
        else:
            _, index, vtype = v
            self.buf += struct.pack("<BHB", 0x0D, index, vtype)


def event_template(e, base):
    """The template for an event's shape; returns (definition bytes, substitution list)."""
    subs = []

    def sub(value):
        subs.append(value)
        return (len(subs) - 1, value[0])

    t = Template(base + 24)  # after next-offset, GUID and data size
    t.buf += b"\x0f\x01\x01\x00"
    system = [
        lambda: t.element("Provider", [("Name", ("lit", e["provider"][0])), ("Guid", ("lit", e["provider"][1]))]),
        lambda: t.element("EventID", sub=sub((T_U16, e["event_id"]))),
        lambda: t.element("Version", sub=sub((T_U8, e["version"]))),
        lambda: t.element("Level", sub=sub((T_U8, e["level"]))),
        lambda: t.element("Task", sub=sub((T_U16, e["task"]))),
        lambda: t.element("Opcode", sub=sub((T_U8, e["opcode"]))),
        lambda: t.element("Keywords", sub=sub((T_HEX64, e["keywords"]))),
        lambda: t.element("TimeCreated", [("SystemTime", ("sub",) + sub((T_FILETIME, e["time"])))]),
        lambda: t.element("EventRecordID", sub=sub((T_U64, e["record"]))),
        lambda: t.element("Correlation"),
        lambda: t.element("Execution", [("ProcessID", ("sub",) + sub((T_U32, e["pid"]))),
                                        ("ThreadID", ("sub",) + sub((T_U32, e["tid"])))]),
        lambda: t.element("Channel", sub=sub((T_STR, e["channel"]))),
        lambda: t.element("Computer", sub=sub((T_STR, HOST))),
        (lambda: t.element("Security", [("UserID", ("sub",) + sub((T_SID, e["user_sid"])))]))
        if e["user_sid"] else (lambda: t.element("Security")),
    ]
    data = [
        (lambda n=n, v=v: t.element("Data", [("Name", ("lit", n))], sub=sub(v)))
        for n, v in e["data"]
    ]
    t.element("Event", [("xmlns", ("lit", "http://schemas.microsoft.com/win/2004/08/events/event"))],
              children=[lambda: t.element("System", children=system),
                        lambda: t.element("EventData", children=data)])
    t.buf += b"\x00"  # end of stream
    return bytes(t.buf), subs


def shape(e):
    return (e["channel"], e["event_id"], e["version"], bool(e["user_sid"]), tuple(n for n, _ in e["data"]),
            tuple(v[0] for _, v in e["data"]))


def record_binxml(e, at, templates):
    """Binary XML of one record whose binxml starts at chunk offset `at`."""
    out = bytearray(b"\x0f\x01\x01\x00")
    out += struct.pack("<BB", 0x0C, 0x01)
    key = shape(e)
    defn_at = at + len(out) + 8  # after template id and offset
    if key in templates:
        tid, off = templates[key]
        out += struct.pack("<II", tid, off)
        _, subs = event_template(e, off)
    else:
        tid = zlib.crc32(repr(key).encode())
        out += struct.pack("<II", tid, defn_at)
        body, subs = event_template(e, defn_at)
        out += struct.pack("<I", 0) + uuid.UUID(int=tid).bytes_le + struct.pack("<I", len(body)) + body
        templates[key] = (tid, defn_at)
    out += struct.pack("<I", len(subs))
    values = [value_bytes(v) for v in subs]
    for (vtype, _), vb in zip(subs, values):
        out += struct.pack("<HBB", len(vb), vtype, 0)
    for vb in values:
        out += vb
    return bytes(out)


CHUNK = 65536


def evtx(events):
    chunk = bytearray(CHUNK)
    pos = 512
    templates = {}
    last = pos
    for e in events:
        binxml = record_binxml(e, pos + 24, templates)
        size = 24 + len(binxml) + 4
        rec = struct.pack("<IIQQ", 0x00002A2A, size, e["record"], filetime_exact(e["time"])) + binxml + struct.pack("<I", size)
        assert pos + size <= CHUNK, "one chunk is enough for the fixtures"
        chunk[pos:pos + size] = rec
        last = pos
        pos += size
    first_id, last_id = events[0]["record"], events[-1]["record"]
    # Record numbers within the log: the first record of this file's chunk.
    hdr = struct.pack("<8sQQQQIIII", b"ElfChnk\0", first_id, last_id, first_id, last_id, 128, last, pos,
                      zlib.crc32(bytes(chunk[512:pos])))
    chunk[0:len(hdr)] = hdr
    # bytes 56..120 unknown (zero), 120 flags (zero); the string and template tables
    # (128..512) stay empty: every name and template is reached through its offset.
    struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[0:120]) + bytes(chunk[128:512])))
    head = bytearray(4096)
    struct.pack_into("<8sQQQIHHHH", head, 0, b"ElfFile\0", 0, 0, last_id + 1, 128, 1, 3, 4096, 1)
    struct.pack_into("<I", head, 120, 0)  # file flags: clean
    struct.pack_into("<I", head, 124, zlib.crc32(bytes(head[0:120])))
    return bytes(head) + bytes(chunk)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for stem, events in (("sysmon", sysmon_events()), ("security", security_events())):
        text = "".join(to_xml(e) + "\n" for e in events)
        (OUT / f"{stem}.log").write_text(text, encoding="utf-8", newline="\n")
        (OUT / f"{stem}.evtx").write_bytes(evtx(events))
        print(f"{stem}: {len(events)} events")


if __name__ == "__main__":
    main()
