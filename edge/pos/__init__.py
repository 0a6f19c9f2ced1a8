"""POS input in layers: framing.py (bytes <-> frames, CRC), text_record.py and records.py
(frames or JSON -> wire bodies, per profile.py), serial_link.py (pyserial reader), hook.py
(HTTP). The protocol is docs/pos-protocol.md."""
