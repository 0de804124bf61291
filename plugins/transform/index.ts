// The built-in transform processors, in the order `sluice plugins` lists them.
import type { Plugin } from '../../core/plugin.js';
import dedupe from './dedupe.js';
import filter from './filter.js';
import fn from './function.js';
import map from './map.js';
import route from './route.js';
import sample from './sample.js';
import set from './set.js';
import split from './split.js';
import throttle from './throttle.js';

export const transformPlugins: Plugin[] = [map, filter, set, split, route, dedupe, sample, throttle, fn];
