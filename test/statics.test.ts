import { describe, expect, it } from 'vitest';
import { MAX_STATICS, parseStatic, staticsProblems, suggestedStatics, type Static } from '../src/statics.js';

const ok = (value: string, appDir = '/app') => {
  const r = parseStatic(value, appDir);
  if ('problem' in r) throw new Error(r.problem);
  return r;
};
const problem = (value: string) => {
  const r = parseStatic(value, '/app');
  return 'problem' in r ? r.problem : undefined;
};

describe('--statics URL_PREFIX=PATH', () => {
  it('reads the prefix and the directory in the image, normalised', () => {
    expect(ok('/static=/app/public')).toEqual({ urlPrefix: '/static', guestPath: '/app/public' });
    expect(ok('/static/=/app/public/')).toEqual({ urlPrefix: '/static', guestPath: '/app/public' });
    expect(ok('assets=/app/public/assets')).toEqual({ urlPrefix: '/assets', guestPath: '/app/public/assets' });
    expect(ok('/=/rails/public')).toEqual({ urlPrefix: '/', guestPath: '/rails/public' });
    // A relative directory is inside the image's app directory (an extended Dockerfile's WORKDIR).
    expect(ok('/assets=public/assets', '/rails')).toEqual({ urlPrefix: '/assets', guestPath: '/rails/public/assets' });
  });

  it('rejects what fly.toml or the proxy would not take, saying how to write it', () => {
    expect(problem('/static')).toMatch(/is not URL_PREFIX=PATH: write it like \/static=\/app\/public/);
    expect(problem('/sta tic=/app/public')).toMatch(/is not a URL path prefix/);
    expect(problem('/static="/app/public"')).toMatch(/is not a directory path/);
    expect(problem('/a/../b=/app/public')).toMatch(/is not a URL path prefix/);
    expect(problem('/static=../secrets')).toMatch(/goes up with "\.\."/);
    expect(problem('/static=/')).toMatch(/is a system directory/);
    expect(problem('/etc=/etc')).toMatch(/is a system directory/);
    expect(problem('/static=/app/public\n[x]')).toMatch(/is not a directory path/);
  });

  it('reports overlapping and repeated prefixes and more than 10 entries', () => {
    const s = (urlPrefix: string): Static => ({ urlPrefix, guestPath: `/app${urlPrefix}` });
    expect(staticsProblems([s('/static'), s('/media')])).toEqual([]);
    expect(staticsProblems([s('/static'), s('/static-v2')])).toEqual([]);
    expect(staticsProblems([s('/static'), s('/static/img')])).toEqual([
      expect.stringMatching(/url_prefix "\/static" and "\/static\/img" overlap/),
    ]);
    expect(staticsProblems([s('/'), s('/media')])).toEqual([expect.stringMatching(/"\/" and "\/media" overlap/)]);
    expect(staticsProblems([s('/a'), s('/a')])).toEqual([expect.stringMatching(/given twice/)]);
    const many = Array.from({ length: MAX_STATICS + 1 }, (_, i) => s(`/d${i}`));
    expect(staticsProblems(many)).toEqual([`11 statics given: Fly serves at most 10; merge directories or drop some`]);
  });

  it('offers public/ at / and static/ at /static, never two that overlap', () => {
    expect(suggestedStatics(['app', 'public', 'config'], '/rails')).toEqual([
      { urlPrefix: '/', guestPath: '/rails/public' },
    ]);
    expect(suggestedStatics(['static', 'templates'], '/app')).toEqual([
      { urlPrefix: '/static', guestPath: '/app/static' },
    ]);
    expect(suggestedStatics(['public', 'static'], '/app')).toEqual([
      { urlPrefix: '/static', guestPath: '/app/static' },
    ]);
    expect(suggestedStatics(['src', 'dist'], '/app')).toEqual([]);
  });
});
