// postinstall: writes generated.json, as prisma generate or a codegen step would.
require('node:fs').writeFileSync(require('node:path').join(__dirname, '..', 'generated.json'), JSON.stringify({ by: 'postinstall' }) + '\n');
