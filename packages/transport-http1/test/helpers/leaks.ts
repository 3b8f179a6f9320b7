export { assertNoLeaks, resourceBaseline } from "@connect-ts/test-support";
