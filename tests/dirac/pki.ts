/** The throw-away test PKI lives with the legacy dev server, which needs it at run time too. */
export * from '../../src/devserver-dirac/pki.js';
