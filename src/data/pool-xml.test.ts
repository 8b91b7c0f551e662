import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { poolGuidsByPfn, poolGuidsIn, poolXmlCatalog } from './pool-xml.js';

const G1 = '0123ABCD-4567-89AB-CDEF-0123456789AB';
const G2 = 'fedcba98-7654-3210-fedc-ba9876543210';

describe('GUIDs from POOL XML catalogs (PoolXMLFile.getGUID)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('reads back what the pilot writes, entities included', () => {
    const xml = poolXmlCatalog(new Map([['/vo/a&b.root', [{ lfn: '/vo/a&b.root', guid: G1, se: 'SE', turl: 'root://h//a?x=1&y="2"' }]]]));
    expect([...poolGuidsByPfn(xml)]).toEqual([['root://h//a?x=1&y="2"', G1]]);
  });

  it('takes Gaudi-style catalogs: single quotes, several pfns, comments; ignores IDs that are not GUIDs', () => {
    const xml = `<?xml version="1.0"?><POOLFILECATALOG>
      <!-- <File ID="${G1}"><physical><pfn name="commented.dst"/></physical></File> -->
      <File ID='${G2}'><physical><pfn filetype='ROOT_All' name='out.dst'/><pfn name="/abs/out.dst"/></physical></File>
      <File ID="not-a-guid"><physical><pfn name="evil.dst"/></physical></File>
      <File ID="${G1}"><physical><pfn name="out.dst"/></physical></File>
    </POOLFILECATALOG>`;
    const guids = poolGuidsByPfn(xml);
    expect(Object.fromEntries(guids)).toEqual({ 'out.dst': G2.toUpperCase(), '/abs/out.dst': G2.toUpperCase() });
  });

  it('reads the *.xml regular files of a directory, never through a link', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pool-guids-'));
    dirs.push(dir);
    await writeFile(join(dir, 'a.xml'), `<File ID="${G1}"><physical><pfn name="a.dst"/></physical></File>`);
    await writeFile(join(dir, 'other.txt'), `<File ID="${G2}"><physical><pfn name="txt.dst"/></physical></File>`);
    await writeFile(join(dir, 'broken.xml'), '<File ID=');
    const outside = join(dir, '..', `${dir.split('/').pop()}-outside.xml`);
    await writeFile(outside, `<File ID="${G2}"><physical><pfn name="linked.dst"/></physical></File>`);
    dirs.push(outside);
    await symlink(outside, join(dir, 'link.xml'));
    expect(Object.fromEntries(await poolGuidsIn(dir))).toEqual({ 'a.dst': G1 });
  });
});
