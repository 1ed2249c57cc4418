#!/usr/bin/python3
"""A paho-mqtt client driven by the interop tests.

Commands arrive on stdin, one JSON object a line; events go to stdout, one JSON object a line:
  {"op": "connect", "port", "version": 4|5, "clientId", "cleanStart", "sessionExpiry"?, "will"?}
      -> {"ev": "connack", "rc": int, "sessionPresent": bool}
  {"op": "subscribe", "filters": [..], "qos"}   -> {"ev": "suback", "granted": [..]}
  {"op": "unsubscribe", "filters": [..]}        -> {"ev": "unsuback"}
  {"op": "publish", "topic", "payload", "qos", "retain", "props"?} -> {"ev": "published"}
  {"op": "disconnect"}                          -> {"ev": "disconnected"}, then exit
Every message received -> {"ev": "message", "topic", "payload", "qos", "retain", "props": {...}}
Works with paho-mqtt 1.x and 2.x (2.x needs CallbackAPIVersion; the *args callbacks accept
either signature).
"""
import json
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

out_lock = threading.Lock()
client = None
version = 4


def emit(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def code(rc):
    return int(getattr(rc, "value", rc))


def props_of(p):
    if p is None:
        return {}
    out = {}
    if hasattr(p, "UserProperty"):
        out["userProperties"] = [[k, v] for (k, v) in p.UserProperty]
    if hasattr(p, "ResponseTopic"):
        out["responseTopic"] = p.ResponseTopic
    if hasattr(p, "CorrelationData"):
        out["correlationData"] = p.CorrelationData.decode("utf-8")
    if hasattr(p, "MessageExpiryInterval"):
        out["messageExpiryInterval"] = p.MessageExpiryInterval
    return out


def session_present(flags):
    if isinstance(flags, dict):  # paho-mqtt 1.x
        return bool(flags.get("session present", 0))
    return bool(getattr(flags, "session_present", False))  # paho-mqtt 2.x ConnectFlags


def on_connect(_c, _u, flags, rc, *rest):
    emit({"ev": "connack", "rc": code(rc), "sessionPresent": session_present(flags)})


def on_subscribe(_c, _u, mid, *rest):
    granted = rest[0] if rest else []
    emit({"ev": "suback", "mid": mid, "granted": [code(g) for g in granted]})


def on_unsubscribe(_c, _u, mid, *rest):
    emit({"ev": "unsuback", "mid": mid})


def on_message(_c, _u, msg):
    emit({
        "ev": "message",
        "topic": msg.topic,
        "payload": msg.payload.decode("utf-8"),
        "qos": msg.qos,
        "retain": bool(msg.retain),
        "props": props_of(getattr(msg, "properties", None)) if version == 5 else {},
    })


def make_client(cmd):
    global version
    version = cmd["version"]
    proto = mqtt.MQTTv5 if version == 5 else mqtt.MQTTv311
    kwargs = {"client_id": cmd["clientId"], "protocol": proto}
    if version != 5:
        kwargs["clean_session"] = cmd.get("cleanStart", True)
    if hasattr(mqtt, "CallbackAPIVersion"):  # paho-mqtt 2.x
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, **kwargs)
    else:  # paho-mqtt 1.x
        c = mqtt.Client(**kwargs)
    c.on_connect = on_connect
    c.on_subscribe = on_subscribe
    c.on_unsubscribe = on_unsubscribe
    c.on_message = on_message
    will = cmd.get("will")
    if will:
        c.will_set(will["topic"], will["payload"], will["qos"], will.get("retain", False))
    return c


def connect(cmd):
    global client
    client = make_client(cmd)
    if version == 5:
        props = None
        if cmd.get("sessionExpiry") is not None:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = cmd["sessionExpiry"]
        client.connect("127.0.0.1", cmd["port"], keepalive=30, clean_start=cmd.get("cleanStart", True), properties=props)
    else:
        client.connect("127.0.0.1", cmd["port"], keepalive=30)
    client.loop_start()


def publish(cmd):
    props = None
    p = cmd.get("props") or {}
    if version == 5 and p:
        props = Properties(PacketTypes.PUBLISH)
        if "userProperties" in p:
            props.UserProperty = [(k, v) for (k, v) in p["userProperties"]]
        if "responseTopic" in p:
            props.ResponseTopic = p["responseTopic"]
        if "correlationData" in p:
            props.CorrelationData = p["correlationData"].encode("utf-8")
        if "messageExpiryInterval" in p:
            props.MessageExpiryInterval = p["messageExpiryInterval"]
    payload = cmd["payload"] if cmd["payload"] != "" else None
    info = client.publish(cmd["topic"], payload, cmd["qos"], cmd.get("retain", False), properties=props)
    # Resolves after PUBACK (QoS 1), PUBCOMP (QoS 2) or the write (QoS 0).
    info.wait_for_publish(5)
    emit({"ev": "published", "mid": info.mid, "done": info.is_published()})


def main():
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "connect":
            connect(cmd)
        elif op == "subscribe":
            client.subscribe([(f, cmd["qos"]) for f in cmd["filters"]])
        elif op == "unsubscribe":
            client.unsubscribe(cmd["filters"])
        elif op == "publish":
            publish(cmd)
        elif op == "disconnect":
            client.disconnect()
            client.loop_stop()
            emit({"ev": "disconnected"})
            return


if __name__ == "__main__":
    main()
