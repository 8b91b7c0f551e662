/** The JDL toolkit: parse (quote-aware, raw values kept), typed reads, and writing. */
export { JdlError, parseJdl, type JdlDocument, type JdlValue } from './jdl-parse.js';
export {
  jdlAd,
  jdlBool,
  jdlHas,
  jdlInt,
  jdlKeys,
  jdlList,
  jdlLookup,
  jdlNumber,
  jdlString,
  jdlToPlain,
  parseJdlInt,
  parseJdlNumber,
  type JdlPlain,
} from './jdl-access.js';
export { formatJdl, renderJdl, type JdlFields, type JdlInput } from './jdl-render.js';
