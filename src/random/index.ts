export {
  approximateNormals,
  nextApproximateNormal,
  randomIndex,
  shuffled,
  type RandomGenerator,
} from "./generator.js";
export { Mulberry32 } from "./mulberry32.js";
export { Xoshiro128StarStar } from "./xoshiro128.js";
