/** The qosmos broker with MQTT.js (npm mqtt), protocolVersion 4 and 5. */
import { mqttjs } from './_support/mqttjs.js'
import { registerPeerSuite } from './_support/suite.js'

registerPeerSuite(mqttjs, import.meta.url)
