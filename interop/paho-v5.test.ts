/** The qosmos broker with Python paho-mqtt (Debian python3-paho-mqtt, /usr/bin/python3), MQTT 5.0. */
import { paho } from './_support/paho.js'
import { registerPeerSuite } from './_support/suite.js'

registerPeerSuite(paho, import.meta.url, 4, [5])
