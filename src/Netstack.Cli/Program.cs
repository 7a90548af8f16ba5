namespace Netstack.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: netstack <command> [options]");
        return args.Length == 0 ? 2 : 0;
    }
}
