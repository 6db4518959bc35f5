// The sample's server (test-image/samples/README.md): node server.js NAME PORT.
// GET / -> "NAME PID", GET /exit/N -> exits N; INT/TERM: "NAME got SIGxxx", exit 0.
const http = require('node:http');
const ms = require('ms'); // from the npm registry
const { greet } = require('greet'); // a workspace package (packages/greet)
const generated = require('./generated.json'); // written by the postinstall script
const [name, port] = process.argv.slice(2);
if ((process.env.CFM_FAIL_AT_START || '').split(',').includes(name)) {
  console.log(`${name} failing at start (CFM_FAIL_AT_START)`);
  process.exit(3);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGHUP']) process.on(sig, () => { console.log(`${name} got ${sig}`); process.exit(0); });
http
  .createServer((req, res) => {
    const m = /^\/exit\/(\d+)$/.exec(req.url);
    const body = m ? `${name} exits ${m[1]}\n` : `${name} ${process.pid}\n`;
    res.writeHead(200, { 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    res.end(body, () => {
      if (m) { console.log(`${name} exiting with status ${m[1]} (GET /exit/${m[1]})`); process.exit(Number(m[1])); }
    });
  })
  .listen(Number(port), '127.0.0.1', () => console.log(`${name} listening on 127.0.0.1:${port} (${greet(generated.by)}, ${ms(60000)})`));
