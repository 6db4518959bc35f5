// Example program written by create-fly-multiproc: one program, two processes.
//   node server.js        answers "Hello Foo" on port 8080
//   node server.js -bar   answers "Hello Bar" on port 8081
// `-port N` picks another port; HOST the listening address (default 0.0.0.0, which Fly needs).
'use strict';
const http = require('node:http');

const bar = process.argv.includes('-bar');
const name = bar ? 'Bar' : 'Foo';
const portArg = process.argv.indexOf('-port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : bar ? 8081 : 8080;
const host = process.env.HOST || '0.0.0.0';

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`Hello ${name}\n`);
});

server.listen(port, host, () => console.log(`Hello ${name} listening on ${host}:${port}`));

// Stop cleanly on the signal the entrypoint or Fly sends.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`${signal}: shutting down`);
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
