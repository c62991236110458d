export { MeterRefused } from './bytes.js';
export { METER_MODULE, METER_TICK, meterModule } from './module.js';
