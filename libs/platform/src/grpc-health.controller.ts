import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

/** The standard `grpc.health.v1.Health/Check`: SERVING while the process accepts calls. */
@Controller()
export class GrpcHealthController {
  @GrpcMethod('Health', 'Check')
  check(): { status: 'SERVING' } {
    return { status: 'SERVING' };
  }
}
