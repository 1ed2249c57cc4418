/** The qosmos client against the Eclipse Mosquitto broker (Debian mosquitto), MQTT 3.1.1 and 5.0. */
import { mosquittoBroker } from './_support/brokers.js'
import { registerClientSuite } from './_support/client-suite.js'

registerClientSuite(mosquittoBroker, import.meta.url)
