export { generateCerts, type TestCerts } from "@connect-ts/test-support";
