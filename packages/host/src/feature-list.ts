import type { FeatureDeps, HostFeature } from './features.js';

/** The host's features, in the order their routes are added. One line per feature folder. */
export function hostFeatures(_d: FeatureDeps): HostFeature[] {
  return [];
}
