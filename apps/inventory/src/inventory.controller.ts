import { Controller } from '@nestjs/common';
import { GrpcMethod, GrpcStreamMethod } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import { INVENTORY } from '@lib/contracts';
import type {
  GetStockRequest,
  OrderRef,
  Reservation,
  ReserveBatchSummary,
  ReserveRequest,
  Stock,
} from '@lib/contracts';
import { InventoryService } from './inventory.service.js';

@Controller()
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @GrpcMethod(INVENTORY.service, 'Reserve')
  reserve(request: ReserveRequest): Promise<Reservation> {
    return this.inventory.reserve(request);
  }

  @GrpcStreamMethod(INVENTORY.service, 'ReserveBatch')
  reserveBatch(
    requests: Observable<ReserveRequest>,
  ): Observable<ReserveBatchSummary> {
    return this.inventory.reserveBatch(requests);
  }

  @GrpcMethod(INVENTORY.service, 'Release')
  release(request: OrderRef): Promise<Reservation> {
    return this.inventory.release(request);
  }

  @GrpcMethod(INVENTORY.service, 'Commit')
  commit(request: OrderRef): Promise<Reservation> {
    return this.inventory.commit(request);
  }

  @GrpcMethod(INVENTORY.service, 'GetStock')
  getStock(request: GetStockRequest): Promise<Stock> {
    return this.inventory.getStock(request);
  }
}
