import type { Transport } from "@connect-ts/protocol";
import { postRequest } from "./post-request.js";
import { bytes } from "./utf8.js";

/**
 * Posts "hi" to `/echo` of the transport's base URL, reads the whole answer
 * and returns its status: the one call a child process makes before it is
 * left with an idle connection, to show that the connection does not keep it
 * alive.
 */
export async function echoOnce(transport: Transport): Promise<number> {
  const res = await transport.request(postRequest(`${transport.baseUrl}/echo`, bytes("hi")));
  await res.body.readAll(100);
  return res.status;
}
