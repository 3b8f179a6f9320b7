import { fileURLToPath } from "node:url";

/** The bench package's folder (this file runs from dist/src/runner). */
export const benchDir = fileURLToPath(new URL("../../../", import.meta.url));
