export { type TestCerts, generateCerts } from "./certs.js";
export { Channel } from "./channel.js";
export {
  type Behaviours,
  type ChaosOptions,
  pickBehaviour,
  runChaos,
  seededRandom,
} from "./chaos.js";
export { echoOnce } from "./echo-once.js";
export { assertNoLeaks, resourceBaseline } from "./leaks.js";
export { postRequest } from "./post-request.js";
export { rejectsWith } from "./rejects-with.js";
export { sleep, within } from "./timing.js";
export {
  type ClientTls,
  expectUnavailable,
  type TlsScenarioOptions,
  type TlsSetup,
  tlsScenarios,
} from "./tls-scenarios.js";
export { bytes, text } from "./utf8.js";
