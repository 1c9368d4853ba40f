// Kernel module `httpserver-monitoring-api`: OSv's read-only build, GET routes only.
import { managementModule } from './management-module.js';

export default managementModule('httpserver-monitoring-api', true);
