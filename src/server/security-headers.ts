import type { FastifyHelmetOptions } from '@fastify/helmet';

/**
 * The headers every answer carries (@fastify/helmet), written for the dashboard: its pages
 * may load scripts, styles and data from this server only, and may not be framed (no
 * clickjacking of a page that holds a key). `scriptHashes` are the dashboard's inline
 * scripts (index.html's import map), allowed by hash since inline scripts are not.
 */
export function securityHeaders(scriptHashes: readonly string[]): FastifyHelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", ...scriptHashes.map((hash) => `'sha256-${hash}'`)],
        // ECharts writes style attributes into its tooltips' HTML.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    // HSTS belongs to whatever terminates TLS in front (the server speaks plain HTTP).
    strictTransportSecurity: false,
  };
}
