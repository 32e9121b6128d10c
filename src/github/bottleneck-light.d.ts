// `bottleneck/light.js` is the build @octokit/plugin-throttling itself loads (bottleneck is its
// dependency); the package ships types for its main entry only, which this re-uses.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
