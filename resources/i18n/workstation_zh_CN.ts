<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Workstation</source>
        <translation>关于 Workstation</translation>
    </message>
    <message>
        <source>Customer-service workstation for online shops.</source>
        <translation>网店客服工作台。</translation>
    </message>
    <message>
        <source>Version:</source>
        <translation>版本：</translation>
    </message>
    <message>
        <source>Qt:</source>
        <translation>Qt：</translation>
    </message>
    <message>
        <source>Python:</source>
        <translation>Python：</translation>
    </message>
    <message>
        <source>System:</source>
        <translation>系统：</translation>
    </message>
    <message>
        <source>Data folder:</source>
        <translation>数据文件夹：</translation>
    </message>
    <message>
        <source>Log folder:</source>
        <translation>日志文件夹：</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
</context>
<context>
    <name>AgentStatusMenu</name>
    <message>
        <source>Receiving buyers</source>
        <translation>接待中</translation>
    </message>
    <message>
        <source>Paused (no new buyers)</source>
        <translation>挂起（不接新买家）</translation>
    </message>
    <message>
        <source>Away</source>
        <translation>离开</translation>
    </message>
    <message>
        <source>Chat status</source>
        <translation>接待状态</translation>
    </message>
    <message>
        <source>The chat status could not be changed</source>
        <translation>接待状态未能更改</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Workstation</source>
        <translation>客服工作台</translation>
    </message>
    <message>
        <source>The language changes at the next start.</source>
        <translation>语言将在下次启动时切换。</translation>
    </message>
    <message>
        <source>Workstation is already running but does not respond. Wait a moment, or end it in the Task Manager, then start it again.</source>
        <translation>客服工作台已在运行，但没有响应。请稍等片刻，或在任务管理器中结束它，然后重新启动。</translation>
    </message>
</context>
<context>
    <name>BuyerOrdersPane</name>
    <message>
        <source>Enter or a click opens the order, with its remark</source>
        <translation>回车或单击打开订单（含备注）</translation>
    </message>
    <message>
        <source>The buyer&apos;s orders could not be read: %1</source>
        <translation>无法读取该买家的订单：%1</translation>
    </message>
    <message>
        <source>Open a conversation to see the buyer&apos;s orders</source>
        <translation>打开一个会话即可查看该买家的订单</translation>
    </message>
    <message>
        <source>%1 · %2 orders, newest first</source>
        <translation>%1 · %2 个订单，最新在前</translation>
    </message>
    <message>
        <source>No cached orders of this buyer</source>
        <translation>本地没有该买家的订单</translation>
    </message>
</context>
<context>
    <name>Connection</name>
    <message>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>Syncing</source>
        <translation>同步中</translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Session expired</source>
        <translation>登录已过期</translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation>未登录</translation>
    </message>
</context>
<context>
    <name>ConversationPane</name>
    <message>
        <source>The reply could not be saved</source>
        <translation>回复未能保存</translation>
    </message>
    <message>
        <source>The reply could not be sent</source>
        <translation>回复未能发送</translation>
    </message>
    <message>
        <source>The reply could not be discarded</source>
        <translation>回复未能丢弃</translation>
    </message>
    <message>
        <source>The conversation could not be taken</source>
        <translation>未能接入会话</translation>
    </message>
    <message>
        <source>The conversation could not be closed</source>
        <translation>未能结束会话</translation>
    </message>
    <message>
        <source>The conversation could not be reopened</source>
        <translation>未能重新打开会话</translation>
    </message>
    <message>
        <source>The conversation could not be transferred</source>
        <translation>未能转接会话</translation>
    </message>
    <message>
        <source>Not connected to a cache</source>
        <translation>本地缓存未打开</translation>
    </message>
    <message>
        <source>The conversation could not be marked read</source>
        <translation>未能标记为已读</translation>
    </message>
    <message>
        <source>The conversation could not be read: %1</source>
        <translation>无法读取会话：%1</translation>
    </message>
    <message>
        <source>%1 found</source>
        <translation>找到 %1 条</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <source>No conversation open</source>
        <translation>未打开会话</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>Buyer %1</source>
        <translation>买家 %1</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>进行中</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已结束</translation>
    </message>
    <message>
        <source>me</source>
        <translation>我</translation>
    </message>
    <message>
        <source>%1 · with %2</source>
        <translation>%1 · 接待：%2</translation>
    </message>
    <message>
        <source>%1 · unassigned</source>
        <translation>%1 · 未分配</translation>
    </message>
    <message>
        <source>The conversation is closed: reopen it to reply</source>
        <translation>会话已结束：重新打开后才能回复</translation>
    </message>
    <message>
        <source>Reply… (Enter sends, Shift+Enter new line)</source>
        <translation>回复…（回车发送，Shift+回车换行）</translation>
    </message>
    <message>
        <source>%1 is typing…</source>
        <translation>%1 正在输入…</translation>
    </message>
    <message>
        <source>%1 is viewing</source>
        <translation>%1 正在查看</translation>
    </message>
    <message>
        <source>Take</source>
        <translation>接入</translation>
    </message>
    <message>
        <source>Take this conversation</source>
        <translation>由我接待这个会话</translation>
    </message>
    <message>
        <source>Transfer…</source>
        <translation>转接…</translation>
    </message>
    <message>
        <source>Hand it to a colleague, with a note</source>
        <translation>转给同事，可附留言</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>结束</translation>
    </message>
    <message>
        <source>End the conversation</source>
        <translation>结束会话</translation>
    </message>
    <message>
        <source>Reopen</source>
        <translation>重新打开</translation>
    </message>
    <message>
        <source>Search this conversation</source>
        <translation>搜索聊天记录</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation>发送（回车）</translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <source>Workstation: unexpected error</source>
        <translation>Workstation：意外错误</translation>
    </message>
    <message>
        <source>Something went wrong: %1</source>
        <translation>出现问题：%1</translation>
    </message>
    <message>
        <source>The details were written to the log file:
%1

You can keep working; if the window misbehaves, quit and start Workstation again.</source>
        <translation>详细信息已写入日志文件：
%1

您可以继续工作；如果窗口异常，请退出并重新启动 Workstation。</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Open log folder</source>
        <translation>打开日志文件夹</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>The system keychain (Windows Credential Manager) could not be read: %1. Sign in again.</source>
        <translation>无法读取系统钥匙串（Windows 凭据管理器）：%1。请重新登录。</translation>
    </message>
    <message>
        <source>The local cache could not be read (%1).</source>
        <translation>无法读取本地缓存（%1）。</translation>
    </message>
    <message>
        <source>Internal error (%1): %2. This is a bug: please tell support (the log has the details).</source>
        <translation>内部错误（%1）：%2。这是程序缺陷，请告知技术支持（日志中有详细信息）。</translation>
    </message>
    <message>
        <source>Wrong login or password.</source>
        <translation>账号或密码错误。</translation>
    </message>
    <message>
        <source>Too many sign-in attempts. Try again in %1 s.</source>
        <translation>登录尝试次数过多，请 %1 秒后再试。</translation>
    </message>
    <message>
        <source>Your session has expired. Please sign in again.</source>
        <translation>登录已过期，请重新登录。</translation>
    </message>
    <message>
        <source>Cannot reach the server %1. Check the address and the network connection.</source>
        <translation>无法连接服务器 %1。请检查服务器地址和网络连接。</translation>
    </message>
    <message>
        <source>The server&apos;s secure connection (TLS certificate) could not be verified. Check the address or ask your administrator.</source>
        <translation>无法验证服务器的安全连接（TLS 证书）。请检查地址或联系管理员。</translation>
    </message>
    <message>
        <source>The server had a problem (HTTP %1). Please try again in a moment.</source>
        <translation>服务器出错（HTTP %1），请稍后再试。</translation>
    </message>
    <message>
        <source>The server rejected the request (%1). Is this the right server address?</source>
        <translation>服务器拒绝了请求（%1）。服务器地址是否正确？</translation>
    </message>
    <message>
        <source>The server sent data this workstation cannot read. Is this the right server address?</source>
        <translation>服务器返回了无法识别的数据。服务器地址是否正确？</translation>
    </message>
    <message>
        <source>Sync stopped on an internal error (%1) and starts again in %2 s. This is a bug: please tell support (the log has the details).</source>
        <translation>同步因内部错误（%1）停止，将在 %2 秒后重新开始。这是程序缺陷：请联系技术支持（日志中有详细信息）。</translation>
    </message>
    <message>
        <source>The local copy is out of date and is being reloaded.</source>
        <translation>本地数据已过期，正在重新加载。</translation>
    </message>
    <message>
        <source>Synchronisation failed: %1</source>
        <translation>同步失败：%1</translation>
    </message>
</context>
<context>
    <name>Flag</name>
    <message>
        <source>Grey flag</source>
        <translation>灰旗</translation>
    </message>
    <message>
        <source>Red flag</source>
        <translation>红旗</translation>
    </message>
    <message>
        <source>Yellow flag</source>
        <translation>黄旗</translation>
    </message>
    <message>
        <source>Green flag</source>
        <translation>绿旗</translation>
    </message>
    <message>
        <source>Blue flag</source>
        <translation>蓝旗</translation>
    </message>
    <message>
        <source>Purple flag</source>
        <translation>紫旗</translation>
    </message>
</context>
<context>
    <name>FlagPicker</name>
    <message>
        <source>%1 (key %2)</source>
        <translation>%1（按键 %2）</translation>
    </message>
</context>
<context>
    <name>HeldBar</name>
    <message>
        <source>Send anyway</source>
        <translation>仍然发送</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>修改</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <source>Reply held back, not sent: %1</source>
        <translation>回复已拦下，未发送：%1</translation>
    </message>
    <message>
        <source>Reply not sent: %1</source>
        <translation>回复未发送：%1</translation>
    </message>
    <message>
        <source>refused by the server</source>
        <translation>服务器拒绝</translation>
    </message>
    <message>
        <source>(%1 more)</source>
        <translation>（还有 %1 条）</translation>
    </message>
    <message>
        <source>editing it in the reply box; Enter sends the new text</source>
        <translation>正在回复框中修改；回车发送修改后的内容</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Orders (Ctrl+F)</source>
        <translation>订单 (Ctrl+F)</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>Stock (Ctrl+Shift+S)</source>
        <translation>库存 (Ctrl+Shift+S)</translation>
    </message>
    <message>
        <source>Stock</source>
        <translation>库存</translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>买家</translation>
    </message>
    <message>
        <source>Waiting to send</source>
        <translation>待发送</translation>
    </message>
    <message>
        <source>Overdue after</source>
        <translation>超时提醒</translation>
    </message>
    <message>
        <source>Show a waiting buyer as overdue after how many seconds? (0 = the shop&apos;s setting, %1 s)</source>
        <translation>买家等待多少秒后标为超时？（0 = 使用店铺设置，%1 秒）</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>%1 · agent %2</source>
        <translation>%1 · 工号 %2</translation>
    </message>
    <message>
        <source>Find order</source>
        <translation>查找订单</translation>
    </message>
    <message>
        <source>Next waiting buyer</source>
        <translation>下一位等待的买家</translation>
    </message>
    <message>
        <source>Open the buyer waiting longest (%1)</source>
        <translation>打开等待最久的买家（%1）</translation>
    </message>
    <message>
        <source>Overdue after…</source>
        <translation>超时提醒…</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <source>Sign in again…</source>
        <translation>重新登录…</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Language (after restart)</source>
        <translation>界面语言（重启后生效）</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>About Workstation</source>
        <translation>关于 Workstation</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>Member</name>
    <message>
        <source>Regular buyer</source>
        <translation>普通买家</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <source>VIP</source>
        <translation>VIP 会员</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>The buyer wrote again</source>
        <translation>买家又发了消息</translation>
    </message>
    <message>
        <source>A colleague already replied</source>
        <translation>同事已回复</translation>
    </message>
    <message>
        <source>The conversation was closed</source>
        <translation>会话已关闭</translation>
    </message>
    <message>
        <source>The conversation was transferred</source>
        <translation>会话已转接</translation>
    </message>
    <message>
        <source>The conversation changed</source>
        <translation>会话已变更</translation>
    </message>
    <message>
        <source>Queued offline</source>
        <translation>离线待发</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>发送中…</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <source>refused by the server</source>
        <translation>服务器拒绝</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>发送失败：%1</translation>
    </message>
    <message>
        <source>Held: %1</source>
        <translation>已拦下：%1</translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>买家</translation>
    </message>
    <message>
        <source>Auto reply</source>
        <translation>自动回复</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Me</source>
        <translation>我</translation>
    </message>
    <message>
        <source>Agent %1</source>
        <translation>客服 %1</translation>
    </message>
</context>
<context>
    <name>OrderDetailView</name>
    <message>
        <source>Loading order…</source>
        <translation>正在加载订单…</translation>
    </message>
    <message>
        <source>This order is no longer in the local cache.</source>
        <translation>本地缓存中已没有此订单。</translation>
    </message>
    <message>
        <source>Open an order to see its details here (Enter).</source>
        <translation>打开订单后在此查看详情（回车）。</translation>
    </message>
    <message>
        <source>⚠ CASH ON DELIVERY: confirm the price with the buyer</source>
        <translation>⚠ 货到付款：请与买家确认价格</translation>
    </message>
    <message>
        <source>Not shipped yet</source>
        <translation>尚未发货</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>付款信息</translation>
    </message>
    <message>
        <source>Payment method</source>
        <translation>付款方式</translation>
    </message>
    <message>
        <source>Shipping fee</source>
        <translation>运费</translation>
    </message>
    <message>
        <source>Discount</source>
        <translation>优惠</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>收件信息</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Shipping</source>
        <translation>物流</translation>
    </message>
    <message>
        <source>Carrier</source>
        <translation>快递公司</translation>
    </message>
    <message>
        <source>Tracking no.</source>
        <translation>运单号</translation>
    </message>
    <message>
        <source>Times</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>下单</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>付款</translation>
    </message>
    <message>
        <source>Shipped</source>
        <translation>发货</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Check stock of all lines (Ctrl+Shift+K)</source>
        <translation>查所有商品的库存 (Ctrl+Shift+K)</translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>买家信息</translation>
    </message>
    <message>
        <source>Nickname</source>
        <translation>昵称</translation>
    </message>
    <message>
        <source>Member level</source>
        <translation>会员等级</translation>
    </message>
    <message>
        <source>First order</source>
        <translation>首次下单</translation>
    </message>
</context>
<context>
    <name>OrderLines</name>
    <message>
        <source>Style</source>
        <translation>款号</translation>
    </message>
    <message>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Colour</source>
        <translation>颜色</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>尺码</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>单价</translation>
    </message>
    <message>
        <source>Subtotal</source>
        <translation>小计</translation>
    </message>
</context>
<context>
    <name>OrderLookupPane</name>
    <message>
        <source>Search order no., nickname, name, phone last digits, address, tracking no. (Ctrl+F)</source>
        <translation>搜索订单号、昵称、姓名、手机尾号、地址、运单号 (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search orders (Ctrl+F). Enter opens the top or selected result, Down moves to the results, Esc clears.</source>
        <translation>搜索订单 (Ctrl+F)。回车打开第一条或选中的结果，↓ 进入结果列表，Esc 清空。</translation>
    </message>
    <message>
        <source>Results: Enter or click opens an order, Esc returns to the search (Ctrl+F)</source>
        <translation>搜索结果：回车或单击打开订单，Esc 返回搜索框 (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search failed: the local cache could not be read (%1)</source>
        <translation>搜索失败：无法读取本地缓存（%1）</translation>
    </message>
    <message>
        <source>Search failed: %1</source>
        <translation>搜索失败：%1</translation>
    </message>
    <message>
        <source>the local cache could not be read (%1)</source>
        <translation>无法读取本地缓存（%1）</translation>
    </message>
    <message>
        <source>Could not load order %1: %2</source>
        <translation>无法加载订单 %1：%2</translation>
    </message>
    <message>
        <source>Opening the local cache…</source>
        <translation>正在打开本地缓存…</translation>
    </message>
    <message>
        <source>Newest %1 orders</source>
        <translation>最新 %1 个订单</translation>
    </message>
    <message>
        <source>First sync %1% — the orders are on their way</source>
        <translation>首次同步 %1% — 订单正在载入</translation>
    </message>
    <message>
        <source>No orders in the local cache yet</source>
        <translation>本地缓存中还没有订单</translation>
    </message>
    <message>
        <source>No matching orders</source>
        <translation>没有匹配的订单</translation>
    </message>
    <message>
        <source>Newest %1 of %2 matches — scroll down for older ones</source>
        <translation>最新 %1 条，共 %2 条匹配 — 向下滚动查看更早的订单</translation>
    </message>
    <message>
        <source>Newest %1 of more than %2 matches — scroll down for older ones, or type more to narrow down</source>
        <translation>最新 %1 条，超过 %2 条匹配 — 向下滚动查看更早的订单，或输入更多内容缩小范围</translation>
    </message>
    <message>
        <source>Newest %1 matches (type more to narrow down)</source>
        <translation>最新 %1 条匹配（输入更多内容以缩小范围）</translation>
    </message>
    <message>
        <source>%1 matching orders</source>
        <translation>%1 条匹配订单</translation>
    </message>
    <message>
        <source>first sync %1% — results may be incomplete</source>
        <translation>首次同步 %1% — 结果可能不完整</translation>
    </message>
    <message>
        <source>as of %1</source>
        <translation>数据截至 %1</translation>
    </message>
    <message>
        <source>not synced yet</source>
        <translation>尚未同步</translation>
    </message>
</context>
<context>
    <name>OrderTable</name>
    <message>
        <source>Order no.</source>
        <translation>订单号</translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>买家昵称</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>收件人</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Remark</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>付款方式</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>下单时间</translation>
    </message>
    <message>
        <source>Carrier / tracking no.</source>
        <translation>快递 / 运单号</translation>
    </message>
    <message>
        <source>Cash on delivery: confirm the price with the buyer</source>
        <translation>货到付款：请与买家确认价格</translation>
    </message>
</context>
<context>
    <name>Outbox</name>
    <message>
        <source>Waiting to send</source>
        <translation>等待发送</translation>
    </message>
    <message>
        <source>Sending</source>
        <translation>正在发送</translation>
    </message>
    <message>
        <source>Conflict: merge needed</source>
        <translation>冲突：需要合并</translation>
    </message>
    <message>
        <source>Refused by the server</source>
        <translation>服务器拒绝</translation>
    </message>
</context>
<context>
    <name>OutboxModel</name>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>修改内容</translation>
    </message>
    <message>
        <source>Written</source>
        <translation>写入时间</translation>
    </message>
    <message>
        <source>Tries</source>
        <translation>尝试次数</translation>
    </message>
    <message>
        <source>Last error</source>
        <translation>最近错误</translation>
    </message>
</context>
<context>
    <name>OutboxPane</name>
    <message>
        <source>Retry now</source>
        <translation>立即重试</translation>
    </message>
    <message>
        <source>Send the selected change again (the same change, never twice)</source>
        <translation>重新发送所选修改（同一修改，绝不会重复）</translation>
    </message>
    <message>
        <source>Discard…</source>
        <translation>放弃…</translation>
    </message>
    <message>
        <source>Drop the selected change and undo it on this PC</source>
        <translation>放弃所选修改，并在本机撤销</translation>
    </message>
    <message>
        <source>Everything you wrote has reached the server.</source>
        <translation>您写入的内容已全部送达服务器。</translation>
    </message>
    <message>
        <source>%1 changes not confirmed by the server yet</source>
        <translation>%1 项修改尚未得到服务器确认</translation>
    </message>
    <message>
        <source>%1 need your attention</source>
        <translation>%1 项需要您处理</translation>
    </message>
    <message>
        <source>Discard this change?</source>
        <translation>放弃这项修改？</translation>
    </message>
    <message>
        <source>“%1” has not reached the server. Discarding it undoes it on this PC too; colleagues will never see it.</source>
        <translation>“%1”尚未送达服务器。放弃后本机也会撤销此修改，同事将看不到它。</translation>
    </message>
</context>
<context>
    <name>Payment</name>
    <message>
        <source>Cash on delivery</source>
        <translation>货到付款</translation>
    </message>
    <message>
        <source>Online, not paid yet</source>
        <translation>在线支付（未付款）</translation>
    </message>
    <message>
        <source>Paid online</source>
        <translation>在线支付</translation>
    </message>
    <message>
        <source>Amount paid</source>
        <translation>实付金额</translation>
    </message>
    <message>
        <source>To collect on delivery</source>
        <translation>到付金额</translation>
    </message>
    <message>
        <source>Amount due</source>
        <translation>应付金额</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <source>Buyer</source>
        <translation>买家</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>等待</translation>
    </message>
    <message>
        <source>Unread</source>
        <translation>未读</translation>
    </message>
    <message>
        <source>Last message</source>
        <translation>最后消息</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>客服</translation>
    </message>
    <message>
        <source>Buyer %1</source>
        <translation>买家 %1</translation>
    </message>
    <message>
        <source>[held] %1</source>
        <translation>[已拦下] %1</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>未分配</translation>
    </message>
    <message>
        <source>answered</source>
        <translation>已回复</translation>
    </message>
    <message>
        <source>Overdue %1</source>
        <translation>超时 %1</translation>
    </message>
    <message>
        <source>Waiting since the buyer&apos;s first unanswered message; overdue after %1</source>
        <translation>从买家第一条未回复的消息起计时；超过 %1 标为超时</translation>
    </message>
</context>
<context>
    <name>QueuePane</name>
    <message>
        <source>All open</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Mine</source>
        <translation>我的</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>未分配</translation>
    </message>
    <message>
        <source>Overdue %1</source>
        <translation>超时 %1</translation>
    </message>
    <message>
        <source>Red &quot;Overdue&quot;: waiting longer than %1</source>
        <translation>红色“超时”：等待超过 %1</translation>
    </message>
    <message>
        <source>The queue could not be read: %1</source>
        <translation>无法读取会话队列：%1</translation>
    </message>
    <message>
        <source>No open conversations</source>
        <translation>没有进行中的会话</translation>
    </message>
    <message>
        <source>%1 open · %2 waiting</source>
        <translation>%1 个会话 · %2 位在等</translation>
    </message>
    <message>
        <source>%1 overdue</source>
        <translation>%1 位超时</translation>
    </message>
</context>
<context>
    <name>RemarkController</name>
    <message>
        <source>The remark could not be saved</source>
        <translation>备注未能保存</translation>
    </message>
    <message>
        <source>The conflict could not be read</source>
        <translation>无法读取冲突内容</translation>
    </message>
    <message>
        <source>The merged remark could not be saved</source>
        <translation>合并后的备注未能保存</translation>
    </message>
    <message>
        <source>Retry failed</source>
        <translation>重试失败</translation>
    </message>
    <message>
        <source>Discard failed</source>
        <translation>放弃失败</translation>
    </message>
    <message>
        <source>The remark history could not be read</source>
        <translation>无法读取备注历史</translation>
    </message>
    <message>
        <source>The list of waiting changes could not be read</source>
        <translation>无法读取待发送的修改</translation>
    </message>
</context>
<context>
    <name>RemarkEditor</name>
    <message>
        <source>What changed, for the colleague who makes the documents</source>
        <translation>订单有什么变动（给制单同事看）</translation>
    </message>
    <message>
        <source>Reason for the change (e.g. exchange: size M out of stock)</source>
        <translation>变动事由（例如：换货，M码缺货）</translation>
    </message>
    <message>
        <source>Save remark</source>
        <translation>保存备注</translation>
    </message>
    <message>
        <source>Save (Ctrl+Enter); it is kept locally and sent when online</source>
        <translation>保存（Ctrl+Enter）；先保存在本机，联网后发送</translation>
    </message>
    <message>
        <source>● Saved on this PC — sent when online</source>
        <translation>● 已保存在本机，联网后发送</translation>
    </message>
    <message>
        <source>✓ Sent</source>
        <translation>✓ 已发送</translation>
    </message>
    <message>
        <source>⚠ A colleague changed this remark meanwhile — merge needed</source>
        <translation>⚠ 同事同时修改了此备注，需要合并</translation>
    </message>
    <message>
        <source>✗ Not accepted by the server: %1</source>
        <translation>✗ 服务器未接受：%1</translation>
    </message>
    <message>
        <source>%1 / %2 bytes</source>
        <translation>%1 / %2 字节</translation>
    </message>
    <message>
        <source>%1 — too long by %2 bytes</source>
        <translation>%1，超出 %2 字节</translation>
    </message>
</context>
<context>
    <name>RemarkMergeDialog</name>
    <message>
        <source>Merge the remark of order %1</source>
        <translation>合并订单 %1 的备注</translation>
    </message>
    <message>
        <source>A colleague changed this remark while you were editing it. Nothing is lost: choose what the remark should say.</source>
        <translation>您编辑时，同事修改了这条备注。两边的内容都在：请选择备注最终的内容。</translation>
    </message>
    <message>
        <source>Yours (not sent)</source>
        <translation>您的版本（未发送）</translation>
    </message>
    <message>
        <source>Before both changes</source>
        <translation>修改前的版本</translation>
    </message>
    <message>
        <source>The remark after merging:</source>
        <translation>合并后的备注：</translation>
    </message>
    <message>
        <source>Keep both (mine on top)</source>
        <translation>两者都保留（我的在上）</translation>
    </message>
    <message>
        <source>Take theirs</source>
        <translation>采用同事的</translation>
    </message>
    <message>
        <source>Edit the merge</source>
        <translation>手动编辑合并</translation>
    </message>
    <message>
        <source>Save merged remark</source>
        <translation>保存合并后的备注</translation>
    </message>
    <message>
        <source>Decide later</source>
        <translation>稍后决定</translation>
    </message>
    <message>
        <source>agent %1</source>
        <translation>工号 %1</translation>
    </message>
    <message>
        <source>a colleague</source>
        <translation>同事</translation>
    </message>
    <message>
        <source>Theirs (%1, %2)</source>
        <translation>同事的版本（%1，%2）</translation>
    </message>
    <message>
        <source>Theirs (%1)</source>
        <translation>同事的版本（%1）</translation>
    </message>
</context>
<context>
    <name>RemarkSection</name>
    <message>
        <source>Remark</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Edit remark (F2)</source>
        <translation>修改备注（F2）</translation>
    </message>
    <message>
        <source>Merge…</source>
        <translation>合并…</translation>
    </message>
    <message>
        <source>See both versions and choose what the remark says</source>
        <translation>查看两个版本，选择备注最终的内容</translation>
    </message>
    <message>
        <source>by agent %1</source>
        <translation>修改人工号 %1</translation>
    </message>
    <message>
        <source>(no text)</source>
        <translation>（无内容）</translation>
    </message>
    <message>
        <source>No remark</source>
        <translation>无备注</translation>
    </message>
    <message>
        <source>agent %1</source>
        <translation>工号 %1</translation>
    </message>
    <message>
        <source>not sent yet</source>
        <translation>尚未发送</translation>
    </message>
</context>
<context>
    <name>SessionController</name>
    <message>
        <source>Could not save the sign-in in the system keychain: %1</source>
        <translation>无法在系统钥匙串中保存登录信息：%1</translation>
    </message>
    <message>
        <source>Not signed in: lookups use the local cache. Sign in again from the agent menu.</source>
        <translation>未登录：查询使用本地缓存。请从右上角账号菜单重新登录。</translation>
    </message>
    <message>
        <source>The local cache could not be opened: %1</source>
        <translation>无法打开本地缓存：%1</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>Server address</source>
        <translation>服务器地址</translation>
    </message>
    <message>
        <source>Login</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation>在此电脑上记住我</translation>
    </message>
    <message>
        <source>Agent last signed in</source>
        <translation>上次登录的客服</translation>
    </message>
    <message>
        <source>Interface language</source>
        <translation>界面语言</translation>
    </message>
    <message>
        <source>Show a waiting buyer as overdue after (seconds; 0 = the shop&apos;s setting)</source>
        <translation>买家等待超过多少秒标为超时（0 = 使用店铺设置）</translation>
    </message>
    <message>
        <source>Queue filter</source>
        <translation>会话队列筛选</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Sign in to Workstation</source>
        <translation>登录客服工作台</translation>
    </message>
    <message>
        <source>Enter the server address, your login and your password.</source>
        <translation>请输入服务器地址、账号和密码。</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation>在此电脑上记住我</translation>
    </message>
    <message>
        <source>Keeps a sign-in token in the system keychain (never the password).</source>
        <translation>在系统钥匙串中保存登录令牌（从不保存密码）。</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>Login</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>Status</name>
    <message>
        <source>Unpaid</source>
        <translation>待付款</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>已付款</translation>
    </message>
    <message>
        <source>Documents made</source>
        <translation>已制单</translation>
    </message>
    <message>
        <source>Shipped</source>
        <translation>已发货</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>交易成功</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>Refunding</source>
        <translation>退款中</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>已退款</translation>
    </message>
</context>
<context>
    <name>StatusPane</name>
    <message>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <source>Try to reach the server now instead of waiting for the next retry (F5)</source>
        <translation>立即尝试连接服务器，不必等待下次重试 (F5)</translation>
    </message>
    <message>
        <source>Changes written on this PC that the server has not confirmed yet</source>
        <translation>本机已写入、服务器尚未确认的修改</translation>
    </message>
    <message>
        <source>Offline since %1 — lookups work from the local cache</source>
        <translation>自 %1 起离线 — 查询使用本地缓存</translation>
    </message>
    <message>
        <source>Not synced yet</source>
        <translation>尚未同步</translation>
    </message>
    <message>
        <source>Synced %1</source>
        <translation>同步于 %1</translation>
    </message>
    <message>
        <source>Last successful sync: %1</source>
        <translation>上次成功同步：%1</translation>
    </message>
    <message>
        <source>Last sync failed at %1: %2</source>
        <translation>最近一次同步失败于 %1：%2</translation>
    </message>
    <message>
        <source>%1 · last attempt failed %2</source>
        <translation>%1 · 最近一次尝试失败于 %2</translation>
    </message>
    <message>
        <source>%1 changes waiting</source>
        <translation>%1 项修改待发送</translation>
    </message>
    <message>
        <source>%1 need you</source>
        <translation>%1 项需要处理</translation>
    </message>
    <message>
        <source>First sync %1%</source>
        <translation>首次同步 %1%</translation>
    </message>
    <message>
        <source>Backing up the local cache before upgrading it %1%</source>
        <translation>升级前正在备份本地缓存 %1%</translation>
    </message>
    <message>
        <source>Upgrading the local cache %1%</source>
        <translation>正在升级本地缓存 %1%</translation>
    </message>
    <message>
        <source>%1 orders cached</source>
        <translation>已缓存 %1 个订单</translation>
    </message>
    <message>
        <source>The store server cannot be reached. Lookups work from the local cache.</source>
        <translation>无法连接店铺服务器。查询使用本地缓存。</translation>
    </message>
    <message>
        <source>Your session has expired. Sign in again to resume syncing.</source>
        <translation>登录已过期。重新登录后继续同步。</translation>
    </message>
    <message>
        <source>Not signed in.</source>
        <translation>未登录。</translation>
    </message>
</context>
<context>
    <name>Stock</name>
    <message>
        <source>style no.</source>
        <translation>款号</translation>
    </message>
    <message>
        <source>outer id</source>
        <translation>商家编码</translation>
    </message>
    <message>
        <source>name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>pinyin</source>
        <translation>拼音</translation>
    </message>
    <message>
        <source>colour</source>
        <translation>颜色</translation>
    </message>
    <message>
        <source>size</source>
        <translation>尺码</translation>
    </message>
    <message>
        <source>category</source>
        <translation>类目</translation>
    </message>
    <message>
        <source>Style no.</source>
        <translation>款号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类目</translation>
    </message>
    <message>
        <source>Matched</source>
        <translation>匹配</translation>
    </message>
    <message>
        <source>Available</source>
        <translation>可用</translation>
    </message>
    <message>
        <source>Real</source>
        <translation>实际</translation>
    </message>
    <message>
        <source>Reserved</source>
        <translation>占用</translation>
    </message>
    <message>
        <source>Page</source>
        <translation>页面</translation>
    </message>
    <message>
        <source>%1 %2 in %3: real %4, reserved %5, available %6</source>
        <translation>%1 %2 · %3：实际 %4，占用 %5，可用 %6</translation>
    </message>
    <message>
        <source>, page %1</source>
        <translation>，页面 %1</translation>
    </message>
    <message>
        <source>the page shows more than can ship</source>
        <translation>页面数量多于可发数量</translation>
    </message>
    <message>
        <source>the page differs from the real stock</source>
        <translation>页面数量与实际库存不一致</translation>
    </message>
    <message>
        <source>out of stock</source>
        <translation>缺货</translation>
    </message>
    <message>
        <source>Warehouse</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>Colour</source>
        <translation>颜色</translation>
    </message>
    <message>
        <source>Figure</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>No such SKU</source>
        <translation>无此规格</translation>
    </message>
    <message>
        <source>? not in the local cache</source>
        <translation>? 本地缓存中没有</translation>
    </message>
    <message>
        <source>✓ in stock</source>
        <translation>✓ 有货</translation>
    </message>
    <message>
        <source>✕ short by %1</source>
        <translation>✕ 缺 %1 件</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>尺码</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Stock</source>
        <translation>库存</translation>
    </message>
    <message>
        <source>stock not synced yet</source>
        <translation>库存尚未同步</translation>
    </message>
    <message>
        <source>as of %1</source>
        <translation>截至 %1</translation>
    </message>
</context>
<context>
    <name>StockPane</name>
    <message>
        <source>Search failed: %1</source>
        <translation>搜索失败：%1</translation>
    </message>
    <message>
        <source>Stock could not be read: %1</source>
        <translation>无法读取库存：%1</translation>
    </message>
    <message>
        <source>Check stock</source>
        <translation>查库存</translation>
    </message>
    <message>
        <source>Cannot check these lines: %1</source>
        <translation>无法查这些商品：%1</translation>
    </message>
    <message>
        <source>Find a style: style no., name, pinyin initials, outer id, colour, size (Ctrl+Shift+S)</source>
        <translation>查款式：款号、名称、拼音首字母、商家编码、颜色、尺码 (Ctrl+Shift+S)</translation>
    </message>
    <message>
        <source>Stock search (Ctrl+Shift+S). Enter opens the top or selected style, Down moves to the results, Esc clears.</source>
        <translation>库存搜索 (Ctrl+Shift+S)。回车打开第一个或选中的款式，下方向键移到结果，Esc 清空。</translation>
    </message>
    <message>
        <source>Enter opens the line&apos;s style grid, Esc returns to the search</source>
        <translation>回车打开该商品的款式库存表，Esc 返回搜索</translation>
    </message>
    <message>
        <source>Real stock per warehouse: available = real − reserved. ✕ out of stock, ⚠ the shop page shows another figure. Enter on an out-of-stock cell moves to what else is in stock.</source>
        <translation>各仓实际库存：可用 = 实际 − 占用。✕ 缺货，⚠ 店铺页面显示的数量不同。在缺货格上按回车查看其他有货的款式。</translation>
    </message>
    <message>
        <source>This style is no longer in the local cache.</source>
        <translation>本地缓存中已没有这个款式。</translation>
    </message>
    <message>
        <source>in stock in %1</source>
        <translation>有货：%1</translation>
    </message>
    <message>
        <source>Same style: %1 %2 — %3 available (%4)</source>
        <translation>同款：%1 %2 — 可用 %3（%4）</translation>
    </message>
    <message>
        <source>Similar: %5 %6 %1 %2 — %3 available (%4)</source>
        <translation>相似款：%5 %6 %1 %2 — 可用 %3（%4）</translation>
    </message>
    <message>
        <source>Out of stock — in stock instead (Enter to move here):</source>
        <translation>缺货 — 以下有货（回车移到这里）：</translation>
    </message>
    <message>
        <source>Out of stock — nothing similar in stock.</source>
        <translation>缺货 — 没有有货的相似款。</translation>
    </message>
    <message>
        <source>This order is no longer in the local cache.</source>
        <translation>本地缓存中已没有这个订单。</translation>
    </message>
    <message>
        <source>no lines to check</source>
        <translation>没有要查的商品</translation>
    </message>
    <message>
        <source>✕ %1 of %2 lines cannot ship in full</source>
        <translation>✕ %2 个商品中有 %1 个无法全部发货</translation>
    </message>
    <message>
        <source>✓ every line is in stock</source>
        <translation>✓ 所有商品都有货</translation>
    </message>
    <message>
        <source>Stock of the order&apos;s lines</source>
        <translation>订单商品库存</translation>
    </message>
    <message>
        <source>Stock of the lines</source>
        <translation>商品库存</translation>
    </message>
    <message>
        <source>Opening the local cache…</source>
        <translation>正在打开本地缓存…</translation>
    </message>
    <message>
        <source>No matching styles</source>
        <translation>没有匹配的款式</translation>
    </message>
    <message>
        <source>%1 styles</source>
        <translation>%1 个款式</translation>
    </message>
</context>
<context>
    <name>TransferBar</name>
    <message>
        <source>receiving</source>
        <translation>接待中</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>挂起</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>To:</source>
        <translation>转给：</translation>
    </message>
    <message>
        <source>Note for the colleague</source>
        <translation>给同事的留言</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>转接</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Choose a colleague</source>
        <translation>请选择同事</translation>
    </message>
</context>
</TS>
