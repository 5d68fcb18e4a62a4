// A browser for `miauth mock --auto-approve`: follows the authorisation URL (given last, as
// $BROWSER's commands get it) through the fake consent page's redirects to miauth's callback.
// node:http, not fetch: fetch sets keep-alive on its socket before connecting, which Wine 8's
// sockets refuse, and the npm tests run under Wine too (scripts/test-npm-windows).
const http = require("node:http");

function visit(url, left) {
  http
    .get(url, (res) => {
      res.resume();
      const next = res.headers.location;
      if (res.statusCode >= 300 && res.statusCode < 400 && next && left > 0) {
        visit(new URL(next, url).href, left - 1);
      }
    })
    .on("error", (e) => {
      process.stderr.write(`test browser: ${e.message}\n`);
      process.exitCode = 1;
    });
}

visit(process.argv[process.argv.length - 1], 10);
