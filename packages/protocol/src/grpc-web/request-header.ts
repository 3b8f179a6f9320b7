/** The content type every gRPC-Web request and response starts with. */
export const grpcWebContentTypeBase = "application/grpc-web";

/**
 * Sent by gRPC-Web clients so that proxies and servers can tell the protocol
 * apart without parsing the content type.
 */
export const headerXGrpcWeb = "x-grpc-web";

/** Where a gRPC-Web client names itself: browsers forbid setting `user-agent`. */
export const headerXUserAgent = "x-user-agent";
