/** The qosmos broker with mosquitto_pub / mosquitto_sub (Debian mosquitto-clients), MQTT 3.1.1. */
import { mosquittoClients } from './_support/mosquitto-clients.js'
import { registerPeerSuite } from './_support/suite.js'

registerPeerSuite(mosquittoClients, import.meta.url, 4, [4])
