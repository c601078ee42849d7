// The certificate check of the smoke test: the endpoint must present a certificate that is valid
// for the very host name clients use (RFC 6125 / RFC 9110 §4.3.4; Node's tls.checkServerIdentity).
// An ACM certificate covers the customer's domain only, so a client calling the load balancer's own
// DNS name fails verification ("x509: certificate is valid for <domain>, not …elb.amazonaws.com",
// kubernetes/kops#6290): the endpoint to test is the hostname record (infra), not the NLB name.
// The check names the host, the names the certificate covers and its expiry.
import { checkServerIdentity, connect, type PeerCertificate } from "node:tls";
import type { SmokeCheck } from "./check.js";

export interface CertificateCheckOptions {
  /** Connect to this address instead of resolving the URL's host (tests; DNS not yet propagated). */
  connectHost?: string;
  /** Trusted CAs instead of Node's bundled roots (tests). */
  ca?: string | Buffer;
  timeoutMs: number;
}

function names(cert: PeerCertificate): string {
  return cert.subjectaltname || `CN=${cert.subject?.CN ?? "?"}`;
}

/** Connects with TLS to an https endpoint and checks the chain and that the certificate covers its host name. */
export function checkCertificate(endpoint: string, opts: CertificateCheckOptions): Promise<SmokeCheck> {
  const url = new URL(endpoint);
  const host = url.hostname;
  const name = "tls certificate";
  return new Promise((resolve) => {
    const socket = connect({
      host: opts.connectHost ?? host,
      port: Number(url.port || 443),
      servername: host,
      // Verified below, so the failure can say which rule failed and what the certificate covers.
      rejectUnauthorized: false,
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    const done = (passed: boolean, detail: string) => {
      socket.destroy();
      resolve({ name, passed, detail });
    };
    socket.setTimeout(opts.timeoutMs, () => done(false, `no TLS handshake with ${host}:${url.port || 443} within ${opts.timeoutMs} ms`));
    socket.once("error", (err) => done(false, `${host}: ${err.message}`));
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      if (!cert || Object.keys(cert).length === 0) return done(false, `${host} presented no certificate`);
      const mismatch = checkServerIdentity(host, cert);
      if (mismatch) return done(false, `certificate (${names(cert)}) is not valid for ${host}: clients must call a name it covers`);
      if (!socket.authorized) return done(false, `certificate for ${host} is not trusted: ${String(socket.authorizationError)}`);
      done(true, `valid for ${host} (${names(cert)}), expires ${cert.valid_to}`);
    });
  });
}
