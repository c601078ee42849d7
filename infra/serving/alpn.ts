// ALPN on the NLB's TLS listeners. The NLB terminates TLS and passes plain bytes on, so the
// protocol it agrees with a client in the handshake is the one the pod must speak. gRPC clients
// require h2 to be negotiated: C-core and grpc-go refuse a TLS connection without it
// (grpc/grpc#18645, "Client must verify ALPN selected h2"; "missing selected ALPN property" behind
// an NLB, netbirdio/netbird#3400), and an NLB negotiates no ALPN unless a policy says so.
// The REST port speaks HTTP/1.1 only (node:http), so a REST client that offers h2 (curl, browsers)
// must still get http/1.1. The policy applies to every TLS listener of the NLB
// (service.beta.kubernetes.io/aws-load-balancer-alpn-policy), so one policy must serve both doors.
// Policies and their preference lists: AWS Load Balancer Controller, Service annotations,
// "alpn-policy" (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/#alpn-policy),
// from Elastic Load Balancing, "ALPN policies"
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/create-tls-listener.html#alpn-policies).

/** Each NLB ALPN policy's preference list, most preferred first; None negotiates nothing. */
export const NLB_ALPN_PREFERENCES = {
  HTTP1Only: ["http/1.1", "http/1.0"],
  HTTP2Only: ["h2"],
  HTTP2Optional: ["http/1.1", "http/1.0", "h2"],
  HTTP2Preferred: ["h2", "http/1.1", "http/1.0"],
  None: [],
} as const satisfies Record<string, readonly string[]>;

export type NlbAlpnPolicy = keyof typeof NLB_ALPN_PREFERENCES;

/**
 * The protocol an NLB TLS listener with `policy` agrees with a client that offers `offered`: the
 * first entry of the policy's preference list that the client offers (the server selects, RFC 7301
 * §3.2), or undefined when none is negotiated (the connection goes on without ALPN).
 */
export function negotiatedProtocol(policy: NlbAlpnPolicy, offered: readonly string[]): string | undefined {
  return (NLB_ALPN_PREFERENCES[policy] as readonly string[]).find((p) => offered.includes(p));
}

/**
 * The policy of the app's NLB: http/1.1 to whoever offers it (REST clients), h2 to whoever offers
 * only h2 (gRPC clients). HTTP2Preferred would hand h2 to curl on the REST port; None fails gRPC.
 */
export const APP_ALPN_POLICY: NlbAlpnPolicy = "HTTP2Optional";
