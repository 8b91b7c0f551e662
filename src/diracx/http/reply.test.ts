import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExitCode } from '../../core/exit-codes.js';
import { errorDetail, parseReply } from './reply.js';

describe('server replies', () => {
  it('extracts FastAPI, validation-list and OAuth error details as one line', () => {
    expect(errorDetail(Buffer.from('{"detail":"Sandbox not found"}'))).toBe('Sandbox not found');
    expect(
      errorDetail(
        Buffer.from(
          JSON.stringify({ detail: [{ type: 'extra_forbidden', loc: ['body', '1', 'Foo'], msg: 'Extra inputs are not permitted' }] }),
        ),
      ),
    ).toBe('body.1.Foo: Extra inputs are not permitted');
    expect(errorDetail(Buffer.from('{"error":"invalid_grant","error_description":"expired"}'))).toBe('invalid_grant: expired');
    expect(errorDetail(Buffer.from('<html>\n<body>Bad gateway</body>\n</html>'))).toBe('<html> <body>Bad gateway</body> </html>');
    expect(errorDetail(Buffer.from('x'.repeat(1000))).length).toBeLessThan(310);
  });

  it('parses through the schema or names the endpoint and field', () => {
    const schema = z.object({ url: z.string(), expires_in: z.number() });
    const ok = { status: 200, headers: {}, body: Buffer.from('{"url":"https://s3/x","expires_in":300}') };
    expect(parseReply('GET /api/jobs/sandbox', ok, schema)).toEqual({ url: 'https://s3/x', expires_in: 300 });
    const bad = { status: 200, headers: {}, body: Buffer.from('{"url":"https://s3/x","expires_in":"soon"}') };
    expect(() => parseReply('GET /api/jobs/sandbox', bad, schema)).toThrow(
      /^GET \/api\/jobs\/sandbox: unexpected reply at expires_in: Expected number, received string$/,
    );
    let error: unknown = null;
    try {
      parseReply('GET /api/jobs/sandbox', { status: 200, headers: {}, body: Buffer.from('oops') }, schema);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ exitCode: ExitCode.SERVER_PROTOCOL, message: 'GET /api/jobs/sandbox: reply is not JSON: oops' });
  });
});
