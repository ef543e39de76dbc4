// Writes every byte to a file descriptor with a synchronous write function: stdout
// may be a non-blocking pipe, which takes part of a line or answers EAGAIN.
export function writeAll (write: (data: Uint8Array, offset: number) => number, data: Uint8Array): void {
  let offset = 0
  while (offset < data.byteLength) {
    try {
      offset += write(data, offset)
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err
    }
  }
}
