import type { FeatureDeps, HostFeature } from './features.js';
import { alertsFeature } from './alerts/feature.js';
import { scriptsFeature } from './scripts/feature.js';
import { wsFeature } from './ws/feature.js';

/** The host's features, in the order their routes are added. One line per feature folder. */
export function hostFeatures(d: FeatureDeps): HostFeature[] {
  return [wsFeature(d), alertsFeature(d), scriptsFeature(d)];
}
