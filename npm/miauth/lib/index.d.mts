// Types of the ES module entry: the same as the CommonJS entry's.
import * as miauth from "./index.js";

export * from "./index.js";
export default miauth;
