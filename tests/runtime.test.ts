import {test,expect} from "vitest"; test("v",()=>{expect(process.version).toMatch(/^v22/)})
