/**
 * @peculiar/x509 set up once: its dependency injection (tsyringe) needs the Reflect metadata
 * polyfill loaded first, and it signs through Node's WebCrypto.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export { x509 };
