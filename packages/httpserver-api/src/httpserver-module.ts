// Kernel module `httpserver-api`: OSv's REST management API, every route.
import { managementModule } from './management-module.js';

export default managementModule('httpserver-api', false);
