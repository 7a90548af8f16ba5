using BenchmarkDotNet.Running;

namespace Netstack.Benchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        // "link ..." is the whole-system throughput driver used by bench/link/run.sh; anything else goes to BenchmarkDotNet.
        if (args.Length > 0 && args[0] == "link")
        {
            return LinkThroughput.Run(args[1..]);
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
