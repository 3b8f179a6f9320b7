export { bytes, Channel, sleep, text, within } from "@connect-ts/test-support";
