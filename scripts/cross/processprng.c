/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Rust's std (1.78 and later) takes its random
 * numbers from ProcessPrng in this DLL, and a Rust program whose import cannot be resolved exits
 * 53 before main. This one exports ProcessPrng and answers it with RtlGenRandom
 * (SystemFunction036 in advapi32), which Wine has. scripts/test-windows builds it with MinGW and
 * puts it in the Wine prefix's system32; nothing of it ships.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
