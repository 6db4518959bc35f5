/**
 * `check`: [[statics]] guest_path must be in the image the Dockerfile builds (Fly's proxy serves the
 * image's files), and url_prefix is matched literally. Real Dockerfiles from the corpus, with the
 * guest_path a copied recipe gives (`/app/public`) and the one the image really has.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check/index.js';
import { cleanupTemps, projectWith, ROOT } from './helpers.js';

afterAll(cleanupTemps);

const corpus = (name: string) => readFileSync(path.join(ROOT, 'test/corpus/dockerfiles', name, 'Dockerfile'), 'utf8');
const toml = (guest: string, prefix = '/assets') =>
  `app = "x"\nkill_timeout = 10\n\n[http_service]\n  internal_port = 3000\n\n[[statics]]\n  guest_path = "${guest}"\n  url_prefix = "${prefix}"\n`;

async function statics(files: Record<string, string>) {
  const r = await check(projectWith(files), { shellcheck: false });
  return r.findings
    .filter((f) => f.rule === 'consistency/statics-missing' || f.rule === 'fly-toml/statics')
    .map((f) => ({ rule: f.rule, line: f.line, message: f.message }));
}

describe('consistency/statics-missing', () => {
  // fly-apps/dockerfile-rails test/results/mysql: WORKDIR /rails, the app copied from the build stage.
  it('a Rails image under /rails with guest_path /app/public: nothing creates /app', async () => {
    const found = await statics({
      Dockerfile: corpus('rails-mysql'),
      'fly.toml': toml('/app/public'),
      'public/robots.txt': '',
    });
    expect(found).toEqual([
      {
        rule: 'consistency/statics-missing',
        line: 8,
        message: expect.stringMatching(
          /^guest_path = "\/app\/public" is not in the image built from Dockerfile \(FROM ruby:\$RUBY_VERSION-slim\): nothing in the final stage creates \/app \(it puts files in \/rails/,
        ),
      },
    ]);
  });
  it('the same image with guest_path /rails/public: nothing to say', async () => {
    expect(
      await statics({ Dockerfile: corpus('rails-mysql'), 'fly.toml': toml('/rails/public'), 'public/robots.txt': '' }),
    ).toEqual([]);
  });
  it('COPY . /app with no build step after it, and no static/ in the project: the directory is missing', async () => {
    const files = {
      Dockerfile: 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nCMD ["gunicorn", "app:app"]\n',
      'fly.toml': toml('/app/static', '/static'),
      'app.py': '',
    };
    expect(await statics(files)).toEqual([
      {
        rule: 'consistency/statics-missing',
        line: 8,
        message: expect.stringContaining(
          'COPY . /app (Dockerfile line 3) puts the build context at /app, but the project has no static/',
        ),
      },
    ]);
    expect(await statics({ ...files, 'static/site.css': '' })).toEqual([]);
  });
  it('a build step after the copy may create it (npm run build -> dist/): nothing to say', async () => {
    expect(
      await statics({
        Dockerfile:
          'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD ["node", "server.js"]\n',
        'fly.toml': toml('/app/dist', '/'),
      }),
    ).toEqual([]);
  });
  it('a path of the base image (/usr/share/nginx/html) is not judged', async () => {
    expect(
      await statics({
        Dockerfile: 'FROM nginx:1.27\nCOPY site /usr/share/nginx/html\n',
        'fly.toml': toml('/usr/share/nginx/html', '/'),
      }),
    ).toEqual([]);
  });
  // Phoenix (corpus phoenix-hello-elixir): the release is copied from the builder into /app.
  it('a Phoenix release copied from another stage: /app/lib/.../priv/static cannot be judged, nothing to say', async () => {
    expect(
      await statics({
        Dockerfile: corpus('phoenix-hello-elixir'),
        'fly.toml': toml('/app/lib/hello_elixir-0.1.0/priv/static', '/'),
      }),
    ).toEqual([]);
  });
});

describe('fly-toml/statics: url_prefix is matched literally', () => {
  it.each(['/assets/*', '/static?v=1', '/my files'])('url_prefix %s never matches', async (prefix) => {
    const found = await statics({ Dockerfile: corpus('rails-mysql'), 'fly.toml': toml('/rails/public', prefix) });
    expect(found).toEqual([
      {
        rule: 'fly-toml/statics',
        line: 9,
        message: expect.stringContaining('Fly matches it literally against the request path'),
      },
    ]);
  });
});

describe('what the Dockerfile does not show is not judged', () => {
  it('FROM an image of unknown contents with no WORKDIR or COPY: /app/public may be in it', async () => {
    expect(
      await statics({
        Dockerfile: 'FROM registry.example.com/team/app:1\nCMD ["/s"]\n',
        'fly.toml': toml('/app/public'),
      }),
    ).toEqual([]);
  });
});
