/** DIRAC's wire encodings: JEncode (JSON, default) and DEncode (legacy), and the Python types they carry. */
export { jdecode, jencode } from './jencode.js';
export { ddecode, dencode, decodeUtf8SurrogateEscape } from './dencode.js';
export {
  CodecError,
  PyDate,
  PyDateTime,
  PyFloat,
  PyTime,
  PyTuple,
  pythonFloatRepr,
  type DecodeOptions,
  type PyKey,
  type PyValue,
} from './py-types.js';
